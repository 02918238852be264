#include "calc.h"
#include <stdio.h>
#include <string.h>

/* Reads statements (`x = 1 + 2`, `x * 3`) from stdin, prints each value. */
int main(void) {
    table vars;
    table_init(&vars, 64);
    table_set(&vars, "pi", 3.14159265358979);
    char line[512];
    int status = 0;
    while (fgets(line, sizeof line, stdin)) {
        lexer lx;
        char target[32];
        lex_init(&lx, line);
        if (lx.cur.kind == T_END) continue;
        node *n = parse_statement(&lx, target);
        double v;
        strbuf out;
        sb_init(&out);
        if (n && eval(n, &vars, &v)) {
            if (target[0]) { table_set(&vars, target, v); sb_puts(&out, target); sb_puts(&out, " = "); }
            format_double(&out, v);
        } else {
            sb_puts(&out, "error");
            status = 1;
        }
        puts(out.data);
        sb_free(&out);
        node_free(n);
    }
    table_free(&vars);
    return status;
}
