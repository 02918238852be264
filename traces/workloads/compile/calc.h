/* A tiny expression calculator: the compile workload of traces/compile.trace.xz. */
#ifndef CALC_H
#define CALC_H
#include <stddef.h>

typedef struct { char *data; size_t len, cap; } strbuf;
void sb_init(strbuf *b);
void sb_putc(strbuf *b, char c);
void sb_puts(strbuf *b, const char *s);
void sb_free(strbuf *b);

typedef struct { double *data; size_t len, cap; } vec;
void vec_push(vec *v, double x);
double vec_pop(vec *v);
void vec_free(vec *v);

typedef struct entry { char *key; double value; struct entry *next; } entry;
typedef struct { entry **buckets; size_t nbuckets, count; } table;
void table_init(table *t, size_t n);
void table_set(table *t, const char *key, double value);
int table_get(const table *t, const char *key, double *out);
void table_free(table *t);

enum tok_kind { T_NUM, T_NAME, T_OP, T_LPAREN, T_RPAREN, T_ASSIGN, T_END, T_ERR };
typedef struct { enum tok_kind kind; double num; char name[32]; char op; } token;
typedef struct { const char *src; size_t pos; token cur; } lexer;
void lex_init(lexer *lx, const char *src);
void lex_next(lexer *lx);

typedef struct node { char op; double num; char name[32]; struct node *l, *r; } node;
node *parse_statement(lexer *lx, char *assign_to);
void node_free(node *n);

int eval(const node *n, const table *vars, double *out);
void format_double(strbuf *b, double x);
#endif
