#include "calc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void lex_init(lexer *lx, const char *src) { lx->src = src; lx->pos = 0; lex_next(lx); }

void lex_next(lexer *lx) {
    const char *s = lx->src;
    while (s[lx->pos] == ' ' || s[lx->pos] == '\t') lx->pos++;
    char c = s[lx->pos];
    token *t = &lx->cur;
    if (c == 0 || c == '\n') { t->kind = T_END; return; }
    if (isdigit((unsigned char)c) || c == '.') {
        char *end;
        t->num = strtod(s + lx->pos, &end);
        lx->pos = (size_t)(end - s);
        t->kind = T_NUM;
        return;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t n = 0;
        while ((isalnum((unsigned char)s[lx->pos]) || s[lx->pos] == '_') && n < sizeof t->name - 1)
            t->name[n++] = s[lx->pos++];
        t->name[n] = 0;
        t->kind = T_NAME;
        return;
    }
    lx->pos++;
    switch (c) {
    case '+': case '-': case '*': case '/': case '^': case '%': t->kind = T_OP; t->op = c; return;
    case '(': t->kind = T_LPAREN; return;
    case ')': t->kind = T_RPAREN; return;
    case '=': t->kind = T_ASSIGN; return;
    default: t->kind = T_ERR; return;
    }
}
