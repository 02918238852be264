#include "calc.h"
#include <stdlib.h>
#include <string.h>

/* Precedence climbing: expr := unary (op unary)*, with ^ right-associative. */
static int prec(char op) {
    switch (op) { case '+': case '-': return 1; case '*': case '/': case '%': return 2; case '^': return 3; }
    return 0;
}

static node *mk(char op, node *l, node *r) {
    node *n = calloc(1, sizeof *n);
    n->op = op; n->l = l; n->r = r;
    return n;
}

static node *parse_expr(lexer *lx, int min_prec);

static node *parse_primary(lexer *lx) {
    token t = lx->cur;
    if (t.kind == T_NUM) { lex_next(lx); node *n = mk('n', NULL, NULL); n->num = t.num; return n; }
    if (t.kind == T_NAME) { lex_next(lx); node *n = mk('v', NULL, NULL); strcpy(n->name, t.name); return n; }
    if (t.kind == T_LPAREN) {
        lex_next(lx);
        node *n = parse_expr(lx, 1);
        if (!n || lx->cur.kind != T_RPAREN) { node_free(n); return NULL; }
        lex_next(lx);
        return n;
    }
    if (t.kind == T_OP && t.op == '-') { lex_next(lx); node *o = parse_primary(lx); return o ? mk('u', o, NULL) : NULL; }
    return NULL;
}

static node *parse_expr(lexer *lx, int min_prec) {
    node *l = parse_primary(lx);
    while (l && lx->cur.kind == T_OP && prec(lx->cur.op) >= min_prec) {
        char op = lx->cur.op;
        lex_next(lx);
        node *r = parse_expr(lx, op == '^' ? prec(op) : prec(op) + 1);
        if (!r) { node_free(l); return NULL; }
        l = mk(op, l, r);
    }
    return l;
}

node *parse_statement(lexer *lx, char *assign_to) {
    assign_to[0] = 0;
    if (lx->cur.kind == T_NAME) {
        lexer save = *lx;
        char name[32];
        strcpy(name, lx->cur.name);
        lex_next(lx);
        if (lx->cur.kind == T_ASSIGN) { lex_next(lx); strcpy(assign_to, name); }
        else *lx = save;
    }
    node *n = parse_expr(lx, 1);
    if (n && lx->cur.kind != T_END) { node_free(n); return NULL; }
    return n;
}

void node_free(node *n) { if (!n) return; node_free(n->l); node_free(n->r); free(n); }
