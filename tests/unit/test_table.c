/*
 * test_table.c -- unit tests of typed columns and tables (core/kl_table.c):
 * appending, missing cells, int32 -> int64 widening, growth and shrinking,
 * and the sparse row -> input line map.
 */
#include "kt.h"
#include "kl_table.h"

static kl_col *add_col(kl_table *t, const char *name, kl_type type)
{
    kl_error err;
    kl_error_clear(&err);
    kl_col *c = kl_table_add_col(t, name, type, &err);
    KT_CHECK(c != NULL);
    return c;
}

static void reserve(kl_col *c, size_t extra)
{
    kl_error err;
    kl_error_clear(&err);
    KT_EQ_INT(kl_col_reserve(c, extra, &err), KL_OK);
    KT_CHECK(c->cap - c->n >= extra);
}

static void push_int(kl_col *c, int64_t v)
{
    kl_error err;
    kl_error_clear(&err);
    KT_EQ_INT(kl_col_push_int(c, v, &err), KL_OK);
}

static void push_missing(kl_col *c)
{
    kl_error err;
    kl_error_clear(&err);
    KT_EQ_INT(kl_col_push_missing(c, &err), KL_OK);
}

KT_TEST(table_new_and_columns)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t = kl_table_new("firms", pool);
    kl_error err;
    KT_CHECK(t != NULL);
    KT_EQ_STR(t->name, "firms");
    KT_CHECK(t->pool == pool);
    KT_EQ_INT(t->nrows, 0);

    kl_col *year = add_col(t, "year", KL_TYPE_INT);
    kl_col *rev = add_col(t, "revenue", KL_TYPE_NUM);
    kl_col *reg = add_col(t, "region", KL_TYPE_TEXT);
    KT_EQ_INT(t->ncols, 3);
    KT_EQ_INT(year->int_width, 1); /* widened as values need */
    KT_EQ_INT(rev->type, KL_TYPE_NUM);
    KT_CHECK(kl_table_col(t, "year") == year);
    KT_CHECK(kl_table_col(t, "revenue") == rev);
    KT_CHECK(kl_table_col(t, "region") == reg);
    KT_CHECK(kl_table_col(t, "Year") == NULL);

    kl_error_clear(&err);
    KT_CHECK(kl_table_add_col(t, "year", KL_TYPE_NUM, &err) == NULL);
    KT_EQ_INT(err.status, KL_ERR_USAGE);
    KT_CONTAINS(err.msg, "year");
    KT_EQ_INT(t->ncols, 3);

    KT_EQ_INT(kl_table_set_source(t, "data/firms.csv", &err), KL_OK);
    KT_EQ_STR(t->source, "data/firms.csv");
    KT_EQ_INT(kl_table_set_source(t, NULL, &err), KL_OK);
    KT_CHECK(t->source == NULL);
    KT_EQ_INT(kl_table_set_source(t, "again.csv", &err), KL_OK);
    KT_CHECK(kl_table_bytes(t) > 0);
    kl_table_free(t);
    kl_table_free(NULL);
    kl_strpool_free(pool);
}

KT_TEST(table_push_and_missing)
{
    kl_strpool *pool = kl_strpool_new();
    kl_table *t = kl_table_new("t", pool);
    kl_col *i = add_col(t, "i", KL_TYPE_INT);
    kl_col *n = add_col(t, "n", KL_TYPE_NUM);
    kl_col *s = add_col(t, "s", KL_TYPE_TEXT);
    kl_error err;
    uint32_t code = kl_strpool_intern(pool, "x", 1, &err);

    KT_EQ_INT(kl_table_reserve(t, 10, &err), KL_OK);
    for (int r = 0; r < 3; r++) {
        push_int(i, r * 10);
        kl_col_push_num(n, r + 0.5);
        kl_col_push_code(s, code);
    }
    /* No bitmap until the first missing cell. */
    KT_CHECK(i->missing == NULL && n->missing == NULL && s->missing == NULL);
    push_missing(i);
    push_missing(n);
    push_missing(s);
    push_int(i, -7);
    kl_col_push_num(n, -1.25);
    kl_col_push_code(s, KL_STR_MISSING); /* empty text without the bitmap */
    t->nrows = 5;

    KT_CHECK(i->missing != NULL);
    KT_EQ_INT(i->nmissing, 1);
    KT_EQ_INT(i->n, 5);
    for (int r = 0; r < 3; r++) {
        KT_CHECK(!kl_col_is_missing(i, (size_t)r) && kl_col_present(i, (size_t)r));
        KT_EQ_INT(kl_col_int(i, (size_t)r), r * 10);
        KT_EQ_NUM(kl_col_num(n, (size_t)r), r + 0.5);
        KT_EQ_NUM(kl_col_as_num(i, (size_t)r), r * 10.0);
        KT_EQ_INT(kl_col_code(s, (size_t)r), code);
    }
    KT_CHECK(kl_col_is_missing(i, 3) && kl_col_is_missing(n, 3) && kl_col_is_missing(s, 3));
    KT_EQ_INT(kl_col_int(i, 3), 0); /* missing cells hold 0 */
    KT_EQ_NUM(kl_col_num(n, 3), 0.0);
    KT_EQ_INT(kl_col_code(s, 3), 0);
    KT_CHECK(!kl_col_present(i, 3));
    KT_EQ_INT(kl_col_int(i, 4), -7);
    KT_EQ_NUM(kl_col_num(n, 4), -1.25);
    /* Code 0 reads as missing for kl_col_present, not for the bitmap. */
    KT_CHECK(!kl_col_is_missing(s, 4));
    KT_CHECK(!kl_col_present(s, 4));
    kl_table_free(t);
    kl_strpool_free(pool);
}

/* A value past int32 widens the column once, keeping every earlier value and
 * missing mark. */
KT_TEST(table_widen_mid_column)
{
    kl_table *t = kl_table_new("t", NULL);
    kl_col *c = add_col(t, "big", KL_TYPE_INT);
    kl_error err;

    reserve(c, 1001);
    for (int r = 0; r < 999; r++) {
        if (r % 100 == 50)
            push_missing(c);
        else
            push_int(c, r % 2 ? r : -r * 1000);
    }
    push_int(c, INT32_MAX);
    push_int(c, INT32_MIN);
    KT_EQ_INT(c->int_width, 4);
    reserve(c, 10);
    push_int(c, INT64_C(5000000000));
    KT_EQ_INT(c->int_width, 8);
    push_int(c, INT64_MIN);
    push_int(c, 3);
    push_missing(c);
    KT_EQ_INT(c->n, 1005);
    for (int r = 0; r < 999; r++) {
        if (r % 100 == 50) {
            KT_CHECK(kl_col_is_missing(c, (size_t)r));
            KT_EQ_INT(kl_col_int(c, (size_t)r), 0);
        } else {
            KT_CHECK(!kl_col_is_missing(c, (size_t)r));
            KT_EQ_INT(kl_col_int(c, (size_t)r), r % 2 ? r : -r * 1000);
        }
    }
    KT_EQ_INT(kl_col_int(c, 999), INT32_MAX);
    KT_EQ_INT(kl_col_int(c, 1000), INT32_MIN);
    KT_EQ_INT(kl_col_int(c, 1001), INT64_C(5000000000));
    KT_EQ_INT(kl_col_int(c, 1002), INT64_MIN);
    KT_EQ_INT(kl_col_int(c, 1003), 3);
    KT_CHECK(kl_col_is_missing(c, 1004));
    KT_EQ_INT(c->nmissing, 11);

    /* Widening again is a no-op; a non-INT column cannot be widened. */
    KT_EQ_INT(kl_col_widen_int(c, &err), KL_OK);
    KT_EQ_INT(kl_col_int(c, 1001), INT64_C(5000000000));
    kl_col *num = add_col(t, "num", KL_TYPE_NUM);
    KT_EQ_INT(kl_col_widen_int(num, &err), KL_ERR_INTERNAL);

    /* Widening an empty column, and the first value being the wide one. */
    kl_col *e = add_col(t, "e", KL_TYPE_INT);
    KT_EQ_INT(kl_col_widen_int(e, &err), KL_OK);
    KT_EQ_INT(e->int_width, 8);
    kl_col *f = add_col(t, "f", KL_TYPE_INT);
    reserve(f, 1);
    push_int(f, -INT64_C(3000000000));
    KT_EQ_INT(f->int_width, 8);
    KT_EQ_INT(kl_col_int(f, 0), -INT64_C(3000000000));
    kl_table_free(t);
}

/* Growth is geometric: pushing 1e6 cells one reserve at a time reallocates
 * only a few dozen times, and capacity stays within 1.5x (+ the minimum). */
KT_TEST(table_reserve_geometric)
{
    kl_table *t = kl_table_new("t", NULL);
    kl_col *c = add_col(t, "n", KL_TYPE_NUM);
    size_t grows = 0, last_cap = 0;
    for (size_t r = 0; r < 1000000; r++) {
        reserve(c, 1);
        if (c->cap != last_cap) {
            grows++;
            KT_CHECK(c->cap <= last_cap + last_cap / 2 + 64);
            last_cap = c->cap;
        }
        kl_col_push_num(c, (double)r);
    }
    KT_CHECK(grows < 40);
    KT_CHECK(c->cap >= c->n);
    /* A reserve that already fits changes nothing. */
    size_t cap = c->cap;
    reserve(c, c->cap - c->n);
    KT_EQ_INT(c->cap, cap);
    /* A large request is honoured at once. */
    reserve(c, 5000000);
    KT_CHECK(c->cap >= 6000000);
    KT_EQ_NUM(kl_col_num(c, 999999), 999999.0);
    kl_table_free(t);
}

KT_TEST(table_push_missing_without_reserve)
{
    kl_table *t = kl_table_new("t", NULL);
    kl_col *c = add_col(t, "x", KL_TYPE_TEXT);
    for (int r = 0; r < 200; r++)
        push_missing(c); /* grows by itself */
    KT_EQ_INT(c->n, 200);
    KT_EQ_INT(c->nmissing, 200);
    KT_CHECK(kl_col_is_missing(c, 0) && kl_col_is_missing(c, 199));
    kl_table_free(t);
}

KT_TEST(table_shrink)
{
    kl_table *t = kl_table_new("t", NULL);
    kl_col *a = add_col(t, "a", KL_TYPE_INT);
    kl_col *b = add_col(t, "b", KL_TYPE_NUM);
    kl_col *e = add_col(t, "empty", KL_TYPE_TEXT);
    kl_error err;

    KT_EQ_INT(kl_table_reserve(t, 1000, &err), KL_OK);
    for (int r = 0; r < 130; r++) {
        if (r == 129)
            push_missing(a);
        else
            push_int(a, r);
        kl_col_push_num(b, r * 2.0);
        KT_EQ_INT(kl_table_note_line(t, (size_t)r, (uint64_t)(r * 2 + 2), &err), KL_OK);
    }
    t->nrows = 130;
    size_t before = kl_table_bytes(t);
    KT_CHECK(t->cap_line_marks > t->nline_marks);
    kl_table_shrink(t);
    KT_EQ_INT(a->cap, 130);
    KT_EQ_INT(b->cap, 130);
    KT_EQ_INT(e->cap, 0);
    KT_CHECK(e->data == NULL);
    KT_EQ_INT(t->cap_line_marks, t->nline_marks);
    KT_CHECK(kl_table_bytes(t) < before);
    for (int r = 0; r < 129; r++) {
        KT_EQ_INT(kl_col_int(a, (size_t)r), r);
        KT_CHECK(!kl_col_is_missing(a, (size_t)r));
        KT_EQ_NUM(kl_col_num(b, (size_t)r), r * 2.0);
        KT_EQ_INT(kl_table_row_line(t, (size_t)r), r * 2 + 2);
    }
    KT_CHECK(kl_col_is_missing(a, 129));
    /* Shrinking twice is harmless; the table can grow again afterwards. */
    kl_table_shrink(t);
    reserve(a, 1);
    push_int(a, 99);
    reserve(e, 1);
    push_missing(e);
    KT_EQ_INT(kl_col_int(a, 130), 99);
    KT_CHECK(kl_col_is_missing(a, 129) && !kl_col_is_missing(a, 130));
    KT_CHECK(kl_col_is_missing(e, 0));
    kl_table_free(t);
}

/* Lines: header on line 1, a quoted field spanning lines, blank lines and a
 * skipped row make the row -> line map irregular. */
KT_TEST(table_line_map)
{
    kl_table *t = kl_table_new("t", NULL);
    kl_error err;
    uint64_t lines[1000];
    uint64_t line = 2;

    KT_EQ_INT(kl_table_row_line(t, 0), 0); /* nothing noted: unknown */
    for (size_t r = 0; r < 1000; r++) {
        lines[r] = line;
        KT_EQ_INT(kl_table_note_line(t, r, line, &err), KL_OK);
        if (r == 10)
            line += 3; /* a record spanning three lines */
        else if (r == 500)
            line += 7; /* blank lines, a skipped row */
        else if (r == 998)
            line += 2;
        else
            line += 1;
    }
    t->nrows = 1000;
    KT_EQ_INT(t->nline_marks, 4); /* row 0, 11, 501, 999 */
    for (size_t r = 0; r < 1000; r++)
        if (kl_table_row_line(t, r) != lines[r])
            KT_EQ_INT(kl_table_row_line(t, r), lines[r]);

    /* Out of order is refused; the same row again replaces its line. */
    KT_EQ_INT(kl_table_note_line(t, 5, 7, &err), KL_ERR_INTERNAL);
    KT_EQ_INT(kl_table_note_line(t, 999, 5000, &err), KL_OK);
    KT_EQ_INT(kl_table_row_line(t, 999), 5000);
    KT_EQ_INT(kl_table_row_line(t, 998), lines[998]);
    kl_table_free(t);

    /* Perfectly regular lines need a single mark; a table whose first row is
     * not on line 2 still maps. */
    t = kl_table_new("t", NULL);
    for (size_t r = 0; r < 100; r++)
        KT_EQ_INT(kl_table_note_line(t, r, 40 + r, &err), KL_OK);
    KT_EQ_INT(t->nline_marks, 1);
    KT_EQ_INT(kl_table_row_line(t, 0), 40);
    KT_EQ_INT(kl_table_row_line(t, 99), 139);
    kl_table_free(t);

    /* Every row irregular: one mark per row, still found by binary search. */
    t = kl_table_new("t", NULL);
    for (size_t r = 0; r < 5000; r++)
        KT_EQ_INT(kl_table_note_line(t, r, 2 + 3 * r, &err), KL_OK);
    KT_EQ_INT(t->nline_marks, 5000);
    for (size_t r = 0; r < 5000; r++)
        if (kl_table_row_line(t, r) != 2 + 3 * r)
            KT_EQ_INT(kl_table_row_line(t, r), 2 + 3 * r);
    kl_table_free(t);
}

/* An INT column goes 1 -> 2 -> 4 -> 8 bytes a cell as values need, in one
 * step or several, and every earlier value (and missing mark) survives each
 * widening; the views and the grouping read every width. */
KT_TEST(table_int_widths_chain)
{
    static const int64_t steps[][2] = {{-128, 127},          {-32768, 32767},
                                       {INT32_MIN, INT32_MAX}, {INT64_MIN, INT64_MAX}};
    kl_strpool *pool = kl_strpool_new();
    kl_table *t = kl_table_new("t", pool);
    kl_error err;
    kl_col *c = add_col(t, "v", KL_TYPE_INT);
    int64_t want[64];
    size_t n = 0;

    reserve(c, 64);
    for (int w = 0; w < 4; w++) {
        push_int(c, steps[w][0]);
        want[n++] = steps[w][0];
        KT_EQ_INT(c->int_width, 1 << w);
        push_missing(c);
        want[n++] = 0;
        push_int(c, steps[w][1]);
        want[n++] = steps[w][1];
        KT_EQ_INT(c->int_width, 1 << w);
        for (size_t i = 0; i < n; i++) {
            KT_EQ_INT(kl_col_int(c, i), want[i]);
            KT_EQ_INT(kl_col_is_missing(c, i), i % 3 == 1);
        }
    }
    KT_EQ_INT(kl_int_width_for(0, 1), 1);
    KT_EQ_INT(kl_int_width_for(-129, 0), 2);
    KT_EQ_INT(kl_int_width_for(0, 32768), 4);
    KT_EQ_INT(kl_int_width_for(INT32_MIN - INT64_C(1), 0), 8);
    /* Straight from 1 to 8 bytes. */
    kl_col *d = add_col(t, "d", KL_TYPE_INT);
    reserve(d, 3);
    push_int(d, -5);
    push_int(d, 100);
    KT_EQ_INT(kl_col_widen_int_to(d, 8, &err), KL_OK);
    KT_EQ_INT(kl_col_int(d, 0), -5);
    KT_EQ_INT(kl_col_int(d, 1), 100);
    KT_EQ_INT(kl_col_widen_int_to(d, 2, &err), KL_OK); /* never narrower */
    KT_EQ_INT(d->int_width, 8);
    KT_EQ_INT(kl_col_widen_int_to(d, 3, &err), KL_ERR_INTERNAL);
    kl_table_free(t);
    kl_strpool_free(pool);
}
