#include "calc.h"
#include <math.h>
#include <stdio.h>

int eval(const node *n, const table *vars, double *out) {
    double a, b;
    switch (n->op) {
    case 'n': *out = n->num; return 1;
    case 'v': return table_get(vars, n->name, out);
    case 'u': if (!eval(n->l, vars, &a)) return 0; *out = -a; return 1;
    }
    if (!eval(n->l, vars, &a) || !eval(n->r, vars, &b)) return 0;
    switch (n->op) {
    case '+': *out = a + b; return 1;
    case '-': *out = a - b; return 1;
    case '*': *out = a * b; return 1;
    case '/': if (b == 0) return 0; *out = a / b; return 1;
    case '%': if (b == 0) return 0; *out = fmod(a, b); return 1;
    case '^': *out = pow(a, b); return 1;
    }
    return 0;
}

void format_double(strbuf *b, double x) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.12g", x);
    sb_puts(b, tmp);
}
