#include "calc.h"
#include <stdlib.h>

void vec_push(vec *v, double x) {
    if (v->len == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 8;
        v->data = realloc(v->data, v->cap * sizeof *v->data);
    }
    v->data[v->len++] = x;
}

double vec_pop(vec *v) { return v->len ? v->data[--v->len] : 0.0; }

void vec_free(vec *v) { free(v->data); v->data = NULL; v->len = v->cap = 0; }
