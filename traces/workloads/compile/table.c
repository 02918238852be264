#include "calc.h"
#include <stdlib.h>
#include <string.h>

/* FNV-1a */
static size_t hash(const char *s) {
    size_t h = 1469598103934665603u;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211u; }
    return h;
}

void table_init(table *t, size_t n) {
    t->buckets = calloc(n, sizeof *t->buckets);
    t->nbuckets = n;
    t->count = 0;
}

void table_set(table *t, const char *key, double value) {
    size_t i = hash(key) % t->nbuckets;
    for (entry *e = t->buckets[i]; e; e = e->next)
        if (strcmp(e->key, key) == 0) { e->value = value; return; }
    entry *e = malloc(sizeof *e);
    e->key = strdup(key);
    e->value = value;
    e->next = t->buckets[i];
    t->buckets[i] = e;
    t->count++;
}

int table_get(const table *t, const char *key, double *out) {
    for (entry *e = t->buckets[hash(key) % t->nbuckets]; e; e = e->next)
        if (strcmp(e->key, key) == 0) { *out = e->value; return 1; }
    return 0;
}

void table_free(table *t) {
    for (size_t i = 0; i < t->nbuckets; i++) {
        entry *e = t->buckets[i];
        while (e) { entry *n = e->next; free(e->key); free(e); e = n; }
    }
    free(t->buckets);
}
