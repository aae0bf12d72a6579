/*
 * gen_dataset.c -- deterministic generator of klaster's synthetic dataset.
 *
 * Writes firms.csv, exports.csv, regions.csv and clusters.csv in the
 * canonical schema of the data model (shared/spec/indicators.md §1) for
 * Uzbekistan's 14 regions: cluster members and other firms entering,
 * growing, shrinking and exiting year by year, their customs exports, the
 * regional totals and the cluster register.  The data is synthetic but
 * shaped like the real economy (see examples/uzbekistan/README.md).
 *
 * Same arguments -> byte-identical files: one xoshiro256** stream seeded by
 * splitmix64 from --seed, no rand(), no clock, gzip headers without a time.
 * Each file is written as plain CSV to a temporary name in the output
 * directory, then (with --gzip) compressed into K gzip members split at
 * equal byte offsets (so a member boundary usually falls inside a line),
 * then renamed into place: a reader never sees a partial file.
 *
 * Uses only libc, libm and zlib.  Exit status: 0 ok, 64 bad arguments,
 * 70 out of memory, 73 cannot create or write the output.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define EXIT_USAGE 64
#define EXIT_SOFTWARE 70
#define EXIT_CANTCREAT 73

#define NREG 14
#define MAX_FIRMS 5000000L
#define MAX_YEARS 40
#define MAX_MEMBERS 10000
#define ID_BITS 27 /* firm ids are 200000000 + a 27-bit permutation */
#define IO_BUF (1u << 20)
#define ROW_MAX 512 /* longest row we ever format, with margin */

/* ------------------------------------------------------------------ */
/* Reference tables                                                    */
/* ------------------------------------------------------------------ */

enum { T_INNOV, T_VERT, T_CONGL };
static const char *const TYPE_NAME[3] = {"innovation", "vertical", "conglomerate"};

typedef struct {
    const char *code; /* OKED (NACE rev. 2) class */
    double rpe;       /* revenue per employee, million UZS at 2019 prices */
    double tax;       /* local taxes and fees, % of revenue */
    double weight;    /* relative frequency among firms outside clusters */
} sector_def;

static const sector_def SECTORS[] = {
    {"01.11", 55, 1.6, 30},   {"01.13", 60, 1.6, 30},   {"01.16", 50, 1.6, 8},
    {"01.21", 65, 1.6, 12},   {"01.24", 70, 1.6, 14},   {"01.25", 70, 1.6, 5},
    {"01.28", 60, 1.6, 2},    {"01.41", 55, 1.6, 14},   {"01.45", 50, 1.6, 10},
    {"01.49", 45, 1.6, 8},    {"03.22", 60, 1.6, 3},    {"08.11", 350, 3.2, 2},
    {"10.11", 260, 2.4, 6},   {"10.39", 240, 2.4, 8},   {"10.51", 260, 2.4, 4},
    {"10.61", 300, 2.4, 4},   {"10.71", 120, 2.4, 20},  {"10.89", 200, 2.4, 3},
    {"13.10", 200, 2.8, 4},   {"13.20", 190, 2.8, 4},   {"13.30", 160, 2.8, 2},
    {"13.93", 90, 2.8, 2},    {"14.13", 110, 2.6, 10},  {"14.19", 100, 2.6, 4},
    {"15.11", 170, 2.8, 2},   {"15.12", 120, 2.8, 2},   {"15.20", 130, 2.8, 3},
    {"16.10", 140, 2.6, 4},   {"20.15", 950, 3.4, 1},   {"20.16", 900, 3.4, 1},
    {"21.10", 500, 3.0, 1},   {"21.20", 450, 3.0, 2},   {"22.29", 300, 3.0, 3},
    {"23.32", 150, 3.2, 4},   {"23.51", 420, 3.4, 1},   {"23.61", 220, 3.2, 4},
    {"23.70", 160, 3.2, 2},   {"25.11", 260, 2.8, 4},   {"26.40", 650, 3.0, 1},
    {"27.51", 620, 3.0, 1},   {"29.10", 900, 3.0, 0.3}, {"29.32", 500, 3.0, 1},
    {"31.01", 150, 2.6, 6},   {"41.20", 220, 2.2, 40},  {"43.21", 160, 2.2, 15},
    {"45.20", 90, 2.0, 20},   {"46.32", 700, 1.8, 6},   {"46.46", 800, 1.8, 4},
    {"46.90", 750, 1.8, 30},  {"47.11", 320, 2.0, 120}, {"47.19", 280, 2.0, 40},
    {"49.41", 150, 2.2, 30},  {"52.10", 200, 2.2, 5},   {"55.10", 110, 2.6, 8},
    {"56.10", 90, 2.4, 40},   {"62.01", 240, 1.2, 12},  {"68.20", 180, 3.0, 15},
    {"69.20", 100, 2.0, 8},   {"72.11", 130, 1.0, 1},   {"72.19", 120, 1.0, 2},
    {"85.42", 70, 1.0, 1},    {"85.59", 60, 1.5, 15},   {"86.21", 90, 1.8, 10},
    {"96.02", 50, 1.8, 15},
};
#define NSECT ((int)(sizeof SECTORS / sizeof SECTORS[0]))

#define FAM_SECT 6
#define FAM_PROD 8
#define FAM_PART 10

/* A cluster template: its value chain, export basket and markets. */
typedef struct {
    const char *tag, *name;
    int type;                        /* the usual type of such a cluster */
    const char *sectors[FAM_SECT];   /* value chain; [0] is the anchor's */
    const char *products[FAM_PROD];  /* HS 2017 6-digit codes */
    double pweight[FAM_PROD];
    const char *partners[FAM_PART];  /* ISO 3166-1 alpha-3 */
    double cweight[FAM_PART];
    double innov;                    /* innovation propensity multiplier */
    double focus;                    /* base share of one-product, one-market members */
} family_def;

static const family_def FAMILIES[] = {
    {"TEX", "cotton-textile", T_VERT,
     {"13.20", "01.16", "13.10", "13.30", "14.13", "14.19"},
     {"520512", "520100", "520942", "520812", "610910", "611120", "620342", "630260"},
     {25, 4, 10, 12, 20, 8, 10, 11},
     {"RUS", "CHN", "TUR", "KAZ", "KGZ", "IRN", "BGD", "POL", "LTU", "DEU"},
     {30, 22, 14, 10, 6, 4, 4, 4, 3, 3}, 1.0, 0.0},
    {"FRV", "fruit-vegetable", T_VERT,
     {"10.39", "01.24", "01.21", "01.13", "01.25", "52.10"},
     {"080610", "080620", "081310", "080930", "070200", "080810", "071331", "200799"},
     {20, 15, 12, 8, 12, 8, 10, 5},
     {"RUS", "KAZ", "CHN", "KGZ", "AFG", "TJK", "UKR", "ARE", "PAK", "BLR"},
     {30, 22, 12, 8, 8, 5, 4, 4, 4, 3}, 1.0, 0.0},
    {"PHA", "pharmaceutical", T_INNOV,
     {"21.20", "21.10", "72.11", "01.28", "46.46"},
     {"300490", "300420", "300390", "300510", "300590", "130212", "121190"},
     {30, 10, 6, 8, 12, 14, 20},
     {"KAZ", "KGZ", "TJK", "AFG", "RUS", "TKM", "AZE", "MNG", "CHN", "DEU"},
     {22, 14, 12, 12, 12, 8, 5, 3, 8, 4}, 1.8, 0.0},
    {"SLK", "silk and sericulture", T_VERT,
     {"13.10", "01.49", "13.20", "14.19"},
     {"500200", "500100", "500400", "500720", "500790"},
     {35, 20, 15, 20, 10},
     {"IRN", "IND", "AFG", "CHN", "TUR", "RUS", "ITA", "VNM"},
     {25, 20, 15, 12, 10, 8, 5, 5}, 1.0, 0.0},
    {"BEE", "beekeeping", T_CONGL,
     {"01.49", "10.89"},
     {"040900", "152190", "041000"},
     {85, 10, 5},
     {"KAZ", "RUS", "DEU", "ARE", "CHN", "KGZ"},
     {30, 25, 15, 10, 10, 10}, 0.8, 0.5},
    {"LTH", "leather and footwear", T_VERT,
     {"15.11", "10.11", "15.12", "15.20", "01.45"},
     {"410411", "410799", "430219", "420221", "640399", "410150"},
     {30, 15, 10, 10, 20, 15},
     {"CHN", "TUR", "ITA", "RUS", "KAZ", "IND", "VNM", "KGZ"},
     {25, 20, 15, 12, 10, 8, 5, 5}, 1.0, 0.0},
    {"RBT", "rabbit breeding", T_CONGL,
     {"01.49", "10.11", "46.32"},
     {"020810", "430180"},
     {80, 20},
     {"RUS", "KAZ", "KGZ", "CHN"},
     {45, 30, 15, 10}, 0.7, 0.5},
    {"AUT", "automotive components", T_INNOV,
     {"29.32", "29.10", "22.29", "25.11"},
     {"870323", "870899", "870829", "401110", "854430"},
     {35, 25, 10, 15, 15},
     {"KAZ", "RUS", "KGZ", "TJK", "AZE", "AFG", "TKM", "UKR", "GEO"},
     {35, 20, 10, 8, 7, 6, 6, 4, 4}, 1.5, 0.0},
    {"CHM", "chemicals and fertilisers", T_VERT,
     {"20.15", "20.16", "72.19", "49.41"},
     {"310210", "310230", "390110", "390120", "281511"},
     {30, 20, 20, 15, 15},
     {"AFG", "KAZ", "KGZ", "TJK", "TUR", "CHN", "UKR", "RUS"},
     {20, 15, 12, 12, 12, 12, 9, 8}, 1.3, 0.0},
    {"ELE", "electrical and electronics", T_INNOV,
     {"27.51", "26.40", "62.01", "72.19"},
     {"841810", "845011", "852872", "841510", "851660"},
     {25, 20, 25, 15, 15},
     {"KAZ", "KGZ", "TJK", "AFG", "AZE", "RUS", "TKM", "GEO", "MNG"},
     {25, 15, 12, 10, 10, 12, 8, 4, 4}, 1.8, 0.0},
    {"GRN", "grain and flour", T_VERT,
     {"10.61", "01.11", "10.71", "49.41"},
     {"110100", "100199", "190590", "110311"},
     {50, 20, 15, 15},
     {"AFG", "TJK", "KGZ", "TKM"},
     {45, 25, 15, 15}, 0.7, 0.0},
    {"AGR", "livestock and dairy", T_CONGL,
     {"10.51", "01.41", "01.45", "03.22", "10.11"},
     {"040690", "010410", "020442", "030389", "040210"},
     {25, 20, 20, 15, 20},
     {"KAZ", "RUS", "KGZ", "TJK", "AFG", "ARE"},
     {25, 20, 15, 15, 15, 10}, 0.8, 0.0},
    {"BLD", "building materials", T_CONGL,
     {"23.51", "23.32", "23.61", "23.70", "08.11"},
     {"252329", "680291", "680293", "690721"},
     {50, 15, 15, 20},
     {"KGZ", "TJK", "AFG", "KAZ", "TKM"},
     {30, 25, 20, 15, 10}, 0.9, 0.0},
    {"CRP", "carpets and crafts", T_CONGL,
     {"13.93", "14.19", "15.12", "31.01"},
     {"570110", "570242", "630492", "420221"},
     {40, 20, 25, 15},
     {"TUR", "DEU", "USA", "ITA", "FRA", "RUS", "KAZ", "ARE"},
     {20, 15, 15, 10, 10, 12, 10, 8}, 1.0, 0.0},
};
#define NFAM ((int)(sizeof FAMILIES / sizeof FAMILIES[0]))

typedef struct {
    const char *code, *name;
    double firm_share; /* relative number of firms */
    double emp_rate;   /* employment / population */
    double coverage;   /* firms' employment / regional employment */
    double tax_share;  /* firms' local taxes / local budget revenue */
    const char *families; /* "TAG:weight ..." cluster templates of the region */
} region_def;

static const region_def REGIONS[NREG] = {
    {"UZ-AN", "Andijan", 80, 0.36, 0.42, 0.30, "TEX:3 FRV:3 AUT:2 SLK:1 LTH:1 BEE:1 AGR:1"},
    {"UZ-BU", "Bukhara", 60, 0.37, 0.45, 0.32, "TEX:3 LTH:2 FRV:2 CRP:1 BLD:1 SLK:1 AGR:1"},
    {"UZ-FA", "Fergana", 90, 0.35, 0.43, 0.30, "TEX:3 SLK:3 FRV:2 CHM:1 BLD:1 CRP:1"},
    {"UZ-JI", "Jizzakh", 38, 0.33, 0.40, 0.28, "TEX:2 FRV:2 BLD:2 GRN:1 AGR:1 BEE:1"},
    {"UZ-NG", "Namangan", 70, 0.34, 0.41, 0.29, "TEX:3 FRV:2 SLK:2 ELE:1 BEE:1"},
    {"UZ-NW", "Navoiy", 35, 0.39, 0.50, 0.40, "CHM:3 BLD:2 TEX:1 AGR:1 LTH:1"},
    {"UZ-QA", "Kashkadarya", 75, 0.32, 0.42, 0.33, "TEX:2 GRN:2 CHM:2 AGR:2 FRV:1 CRP:1"},
    {"UZ-QR", "Karakalpakstan", 48, 0.31, 0.44, 0.27, "TEX:3 GRN:2 AGR:2 RBT:1 PHA:1"},
    {"UZ-SA", "Samarkand", 95, 0.35, 0.43, 0.31, "FRV:3 TEX:2 CRP:2 AUT:1 PHA:1 ELE:1 SLK:1"},
    {"UZ-SI", "Sirdaryo", 25, 0.34, 0.40, 0.28, "TEX:3 GRN:2 FRV:1 BEE:1 RBT:1"},
    {"UZ-SU", "Surkhandarya", 60, 0.32, 0.40, 0.27, "FRV:3 TEX:2 BEE:1 AGR:1 GRN:1"},
    {"UZ-TK", "Tashkent city", 140, 0.44, 0.55, 0.45, "PHA:3 ELE:3 TEX:1 LTH:1 BLD:1"},
    {"UZ-TO", "Tashkent region", 85, 0.38, 0.48, 0.38, "PHA:2 AUT:2 BLD:2 CHM:1 FRV:1 TEX:1 AGR:1"},
    {"UZ-XO", "Khorezm", 50, 0.33, 0.41, 0.28, "TEX:3 SLK:2 FRV:1 CRP:1 RBT:1 GRN:1"},
};

/* UZS per USD, annual average (Central Bank of Uzbekistan, rounded). */
static double fx_rate(int year)
{
    static const double fx[] = {2570, 2966, 5121, 8069, 8837, 10055,
                                10610, 11050, 11736, 12650}; /* 2015..2024 */
    if (year < 2015)
        return fx[0] * pow(0.9, 2015 - year);
    if (year > 2024)
        return fx[9] * pow(1.06, year - 2024);
    return fx[year - 2015];
}

/* Nominal price level relative to 2019 (about 11 % inflation a year). */
static double price_level(int year) { return pow(1.11, year - 2019); }

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64 seeding, xoshiro256** stream             */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1). */
static double rng_unif(rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform integer in [0, n). */
static uint32_t rng_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static int rng_chance(rng_t *r, double p) { return rng_unif(r) < p; }

/* Standard normal (Marsaglia's polar method, no cached second value). */
static double rng_normal(rng_t *r)
{
    double u, v, s;
    do {
        u = 2.0 * rng_unif(r) - 1.0;
        v = 2.0 * rng_unif(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

static double rng_lognormal(rng_t *r, double mu, double sd)
{
    return exp(mu + sd * rng_normal(r));
}

/* Poisson by inversion; lambda is small here. */
static int rng_poisson(rng_t *r, double lambda)
{
    double l = exp(-lambda), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= rng_unif(r);
    } while (p > l && k < 50);
    return k - 1;
}

static int rng_weighted(rng_t *r, const double *w, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    double u = rng_unif(r) * total;
    for (int i = 0; i < n - 1; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return n - 1;
}

/* ------------------------------------------------------------------ */
/* Model state                                                         */
/* ------------------------------------------------------------------ */

enum { F_EXPORTER = 1, F_INNOVATOR = 2, F_ANCHOR = 4, F_PINNED = 8 };

typedef struct {
    uint64_t seed;   /* fixes the firm's export basket and markets */
    uint32_t id;     /* 9-digit tax id */
    int32_t cluster; /* index into world.cl, -1 = none */
    float size;      /* latent headcount */
    float prod;      /* productivity multiplier */
    float taxr;      /* local taxes / revenue */
    float exshare;   /* exports / revenue when exporting */
    int16_t sector;
    int16_t born;
    uint8_t flags;
} firm_t;

typedef struct {
    firm_t *f;
    size_t n, cap;
    double share;           /* this region's share of all firms */
    double sect_w[NSECT];   /* sector weights for firms outside clusters */
} region_t;

typedef struct {
    char id[16];
    int region, fam, type, founded;
    int target;        /* members wanted */
    double weight;     /* pull on entrants */
    double focus;      /* share of members exporting one product to one market */
    int main_prod, main_part;
    int dissolve_year; /* edge case: every member leaves this year; 0 = never */
    int n1_year;       /* edge case: one exported product this year */
    int n0_year;       /* edge case: only ignorable export rows this year */
} cluster_t;

enum { OUT_FIRMS, OUT_EXPORTS, OUT_REGIONS, OUT_CLUSTERS, NOUT };
static const char *const OUT_NAME[NOUT] = {"firms.csv", "exports.csv", "regions.csv",
                                           "clusters.csv"};
static const char *const OUT_HEADER[NOUT] = {
    ("year,region,cluster,firm,sector,employees,revenue,local_taxes,rd_spend,"
     "innov_revenue,innovating,patents\n"),
    "year,region,cluster,firm,product,partner,value\n",
    "year,region,population,employment,local_budget_revenue\n",
    "cluster,region,type,sector,founded\n",
};

typedef struct {
    char *final_path; /* DIR/NAME or DIR/NAME.gz */
    char *plain_tmp;  /* the CSV text, DIR/.NAME.XXXXXX */
    char *gz_tmp;     /* its gzip form */
    FILE *fp;
    char *buf;
    size_t len;
    uint64_t bytes, rows, gz_bytes;
    int gzip;
} out_file;

typedef struct {
    const char *out_dir;
    uint64_t seed;
    long firms;
    int first, last;
    unsigned gzip_mask; /* bit i: gzip OUT_NAME[i] */
    int members;
    int edge;
    int progress;
} options;

typedef struct {
    options opt;
    rng_t rng;
    int nyears;
    cluster_t *cl;
    int ncl;
    int cfirst[NREG], ccount[NREG]; /* clusters of a region: a run in cl[] */
    region_t reg[NREG];
    uint64_t next_firm;
    uint64_t id_key;
    int sect_fam[NSECT];      /* first family whose chain has the sector, -1 */
    int sect_trade[NSECT];    /* the sector can export goods */
    int fam_sect[NFAM][FAM_SECT], fam_nsect[NFAM], fam_nprod[NFAM], fam_npart[NFAM];
    uint64_t *emp_true;       /* [year][region] employees, reported or not */
    int64_t *tax_true;        /* [year][region] local taxes, cents */
    /* edge cases (--edge-cases) */
    int gap_region, gap_year;
    int miss_a_year, miss_b_year; /* pinned firms A and B: headcount missing */
    uint32_t pin_a, pin_b;
    int budget_gap_region, budget_gap_year;
    double price; /* price level of the year being written */
    out_file out[NOUT];
} world;

/* ------------------------------------------------------------------ */
/* Errors and memory                                                   */
/* ------------------------------------------------------------------ */

static world *g_world; /* for removing temporary files on a fatal error */

static void remove_temps(world *w)
{
    for (int i = 0; i < NOUT; i++) {
        out_file *o = &w->out[i];
        if (o->fp) {
            fclose(o->fp);
            o->fp = NULL;
        }
        if (o->plain_tmp)
            unlink(o->plain_tmp);
        if (o->gz_tmp)
            unlink(o->gz_tmp);
    }
}

static void die(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void die(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("gen_dataset: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (g_world)
        remove_temps(g_world);
    exit(status);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die(EXIT_SOFTWARE, "out of memory (%zu bytes)", n);
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die(EXIT_SOFTWARE, "out of memory (%zu x %zu bytes)", n, size);
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die(EXIT_SOFTWARE, "out of memory (%zu bytes)", n);
    return q;
}

static char *xstrcat3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = xmalloc(la + lb + lc + 1);
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void usage(FILE *to)
{
    fputs("usage: gen_dataset --out DIR [--seed N] [--firms N] [--years FIRST-LAST]\n"
          "                   [--gzip[=LIST]] [--members K] [--edge-cases] [--progress]\n"
          "\n"
          "Writes DIR/firms.csv, exports.csv, regions.csv and clusters.csv: a synthetic\n"
          "but realistic panel of Uzbekistan's regional clusters (klaster's data model).\n"
          "Same arguments give byte-identical files.\n"
          "\n"
          "  --out DIR          output directory (created if missing)\n"
          "  --seed N           random seed, 0..2^64-1 (default 1)\n"
          "  --firms N          firms alive in a typical year, 200..5000000 (default 1500)\n"
          "  --years A-B        years A to B, at most 40 (default 2019-2024)\n"
          "  --gzip[=LIST]      gzip the files (LIST: some of firms,exports,regions,\n"
          "                     clusters; default all) and add .gz to their names\n"
          "  --members K        write each gzip file as K concatenated gzip members\n"
          "                     split at equal byte offsets (default 1)\n"
          "  --edge-cases       add the small example's deliberate irregularities\n"
          "                     (see examples/uzbekistan/README.md)\n"
          "  --progress         report progress and sizes on stderr\n",
          to);
}

static void bad_usage(const char *fmt, const char *arg)
{
    fputs("gen_dataset: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(run gen_dataset --help for usage)\n", stderr);
    exit(EXIT_USAGE);
}

/* Parses a whole decimal unsigned number; 0 on success. */
static int parse_u64(const char *s, uint64_t *v)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = x;
    return 0;
}

static long parse_range(const char *opt, const char *s, long lo, long hi)
{
    uint64_t v;
    if (parse_u64(s, &v) || v < (uint64_t)lo || v > (uint64_t)hi) {
        fprintf(stderr, "gen_dataset: %s wants a whole number from %ld to %ld, got '%s'\n", opt,
                lo, hi, s ? s : "");
        exit(EXIT_USAGE);
    }
    return (long)v;
}

static void parse_years(const char *s, options *o)
{
    char buf[32];
    if (!s || strlen(s) >= sizeof buf)
        bad_usage("--years wants FIRST-LAST, e.g. 2019-2024, got '%s'", s ? s : "");
    strcpy(buf, s);
    char *dash = strchr(buf, '-');
    if (dash)
        *dash = '\0';
    o->first = (int)parse_range("--years", buf, 1991, 2100);
    o->last = dash ? (int)parse_range("--years", dash + 1, 1991, 2100) : o->first;
    if (o->last < o->first || o->last - o->first + 1 > MAX_YEARS)
        bad_usage("--years wants FIRST-LAST with FIRST <= LAST and at most 40 years, got '%s'", s);
}

static unsigned parse_gzip_list(const char *s)
{
    unsigned mask = 0;
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, ",");
        int found = 0;
        for (int i = 0; i < NOUT; i++) {
            size_t ln = strlen(OUT_NAME[i]) - 4; /* without ".csv" */
            if (n == ln && strncmp(p, OUT_NAME[i], n) == 0) {
                mask |= 1u << i;
                found = 1;
            }
        }
        if (!found)
            bad_usage("--gzip= wants a comma-separated list of firms, exports, regions, "
                      "clusters; got '%s'", s);
        p += n;
        if (*p == ',')
            p++;
    }
    if (!mask)
        bad_usage("--gzip= wants at least one file name, got '%s'", s);
    return mask;
}

static void parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->firms = 1500;
    o->first = 2019;
    o->last = 2024;
    o->members = 1;
    int members_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--out")) {
            if (!next || !*next)
                bad_usage("%s wants a directory", a);
            o->out_dir = next;
            i++;
        } else if (!strcmp(a, "--seed")) {
            uint64_t v;
            if (parse_u64(next, &v))
                bad_usage("--seed wants a whole number from 0 to 2^64-1, got '%s'",
                          next ? next : "");
            o->seed = v;
            i++;
        } else if (!strcmp(a, "--firms")) {
            o->firms = parse_range(a, next, 200, MAX_FIRMS);
            i++;
        } else if (!strcmp(a, "--years")) {
            parse_years(next, o);
            i++;
        } else if (!strcmp(a, "--gzip")) {
            o->gzip_mask = (1u << NOUT) - 1;
        } else if (!strncmp(a, "--gzip=", 7)) {
            o->gzip_mask = parse_gzip_list(a + 7);
        } else if (!strcmp(a, "--members")) {
            o->members = (int)parse_range(a, next, 1, MAX_MEMBERS);
            members_given = 1;
            i++;
        } else if (!strcmp(a, "--edge-cases")) {
            o->edge = 1;
        } else if (!strcmp(a, "--progress")) {
            o->progress = 1;
        } else {
            bad_usage("unknown argument '%s'", a);
        }
    }
    if (!o->out_dir)
        bad_usage("%s", "--out DIR is required");
    if (members_given && !o->gzip_mask)
        bad_usage("%s", "--members needs --gzip");
}

/* ------------------------------------------------------------------ */
/* Output: buffered CSV text in a temporary file                       */
/* ------------------------------------------------------------------ */

/* Creates DIR and its missing parents. */
static void make_dirs(const char *dir)
{
    char *path = xstrcat3(dir, "", "");
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                free(path);
                die(EXIT_CANTCREAT, "cannot create directory %s: %s", dir, strerror(e));
            }
            *p = c;
            if (!c)
                break;
        }
    }
    free(path);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        die(EXIT_CANTCREAT, "cannot use %s as the output directory: not a directory", dir);
}

/* Opens a new temporary file DIR/.NAME.XXXXXX with the umask's permissions. */
static FILE *open_temp(const char *dir, const char *name, char **path_out)
{
    char *dotname = xstrcat3(".", name, ".XXXXXX");
    char *path = xstrcat3(dir, "/", dotname);
    free(dotname);
    int fd = mkstemp(path);
    if (fd < 0) {
        int e = errno;
        char msg[256];
        snprintf(msg, sizeof msg, "%s", strerror(e));
        free(path);
        die(EXIT_CANTCREAT, "cannot create a file in %s: %s", dir, msg);
    }
    *path_out = path;
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0)
        die(EXIT_CANTCREAT, "cannot set permissions of %s: %s", path, strerror(errno));
    FILE *fp = fdopen(fd, "wb");
    if (!fp)
        die(EXIT_CANTCREAT, "cannot open %s: %s", path, strerror(errno));
    return fp;
}

static void out_open(world *w, int which)
{
    out_file *o = &w->out[which];
    o->gzip = (w->opt.gzip_mask >> which) & 1;
    o->final_path = xstrcat3(w->opt.out_dir, "/", OUT_NAME[which]);
    if (o->gzip) {
        char *gz = xstrcat3(o->final_path, ".gz", "");
        free(o->final_path);
        o->final_path = gz;
    }
    o->fp = open_temp(w->opt.out_dir, OUT_NAME[which], &o->plain_tmp);
    o->buf = xmalloc(IO_BUF);
    o->len = 0;
    size_t hl = strlen(OUT_HEADER[which]);
    memcpy(o->buf, OUT_HEADER[which], hl);
    o->len = hl;
    o->bytes = hl;
}

static void out_flush(out_file *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->fp) != o->len)
        die(EXIT_CANTCREAT, "cannot write %s: %s", o->plain_tmp, strerror(errno));
    o->len = 0;
}

/* Room for one row; the row is then formatted at the returned pointer. */
static char *out_reserve(out_file *o)
{
    if (o->len + ROW_MAX > IO_BUF)
        out_flush(o);
    return o->buf + o->len;
}

static void out_commit(out_file *o, char *end)
{
    size_t n = (size_t)(end - (o->buf + o->len));
    o->len += n;
    o->bytes += n;
    o->rows++;
}

static void out_close_plain(out_file *o)
{
    out_flush(o);
    if (fclose(o->fp) != 0) {
        o->fp = NULL;
        die(EXIT_CANTCREAT, "cannot write %s: %s", o->plain_tmp, strerror(errno));
    }
    o->fp = NULL;
}

/* Field formatting: each appends to p and returns the new end. */
static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* A money amount held in cents, written with 2 decimals. */
static char *put_cents(char *p, int64_t c)
{
    if (c < 0) {
        *p++ = '-';
        c = -c;
    }
    p = put_u64(p, (uint64_t)c / 100);
    *p++ = '.';
    *p++ = (char)('0' + (c / 10) % 10);
    *p++ = (char)('0' + c % 10);
    return p;
}

static int64_t to_cents(double v) { return (int64_t)llround(v * 100.0); }

/* ------------------------------------------------------------------ */
/* gzip: the CSV text into K members                                   */
/* ------------------------------------------------------------------ */

static void deflate_into(z_stream *zs, int flush, unsigned char *obuf, FILE *out,
                         const char *path, uint64_t *written)
{
    int rc;
    do {
        zs->next_out = obuf;
        zs->avail_out = IO_BUF;
        rc = deflate(zs, flush);
        if (rc == Z_STREAM_ERROR)
            die(EXIT_SOFTWARE, "zlib deflate failed on %s", path);
        size_t have = IO_BUF - zs->avail_out;
        if (have && fwrite(obuf, 1, have, out) != have)
            die(EXIT_CANTCREAT, "cannot write %s: %s", path, strerror(errno));
        *written += have;
    } while (zs->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

/* Compresses o->plain_tmp into o->gz_tmp as `members` gzip members. */
static void gzip_plain(world *w, out_file *o, const char *name)
{
    FILE *in = fopen(o->plain_tmp, "rb");
    if (!in)
        die(EXIT_CANTCREAT, "cannot reopen %s: %s", o->plain_tmp, strerror(errno));
    char *gzname = xstrcat3(name, ".gz", "");
    FILE *out = open_temp(w->opt.out_dir, gzname, &o->gz_tmp);
    free(gzname);
    unsigned char *ibuf = xmalloc(IO_BUF), *obuf = xmalloc(IO_BUF);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16: a gzip wrapper, no file name, time stamp 0. */
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die(EXIT_SOFTWARE, "zlib deflateInit2 failed");
    uint64_t total = o->bytes, pos = 0;
    int k = w->opt.members, member = 1;
    uint64_t next_cut = k > 1 ? total / (uint64_t)k : UINT64_MAX;
    size_t n;
    while ((n = fread(ibuf, 1, IO_BUF, in)) > 0) {
        size_t off = 0;
        while (off < n) {
            size_t take = n - off;
            if (next_cut != UINT64_MAX && pos + take > next_cut)
                take = (size_t)(next_cut - pos);
            zs.next_in = ibuf + off;
            zs.avail_in = (uInt)take;
            deflate_into(&zs, Z_NO_FLUSH, obuf, out, o->gz_tmp, &o->gz_bytes);
            off += take;
            pos += take;
            while (pos == next_cut) { /* end this member, start the next */
                deflate_into(&zs, Z_FINISH, obuf, out, o->gz_tmp, &o->gz_bytes);
                deflateReset(&zs);
                member++;
                next_cut = member < k ? total * (uint64_t)member / (uint64_t)k : UINT64_MAX;
            }
        }
    }
    if (ferror(in))
        die(EXIT_CANTCREAT, "cannot read back %s: %s", o->plain_tmp, strerror(errno));
    if (pos != total)
        die(EXIT_CANTCREAT, "%s changed while being compressed", o->plain_tmp);
    zs.avail_in = 0;
    deflate_into(&zs, Z_FINISH, obuf, out, o->gz_tmp, &o->gz_bytes);
    deflateEnd(&zs);
    fclose(in);
    free(ibuf);
    free(obuf);
    if (fclose(out) != 0)
        die(EXIT_CANTCREAT, "cannot write %s: %s", o->gz_tmp, strerror(errno));
    unlink(o->plain_tmp);
    free(o->plain_tmp);
    o->plain_tmp = NULL;
}

/* Closes the CSV text and compresses it if asked. */
static void out_finish(world *w, int which)
{
    out_file *o = &w->out[which];
    out_close_plain(o);
    if (o->gzip)
        gzip_plain(w, o, OUT_NAME[which]);
}

/* Renames a finished file into place (once every file is finished, so a
 * failure leaves the previous set of files untouched). */
static void out_publish(world *w, int which)
{
    out_file *o = &w->out[which];
    char **tmp = o->gzip ? &o->gz_tmp : &o->plain_tmp;
    if (rename(*tmp, o->final_path) != 0)
        die(EXIT_CANTCREAT, "cannot rename %s to %s: %s", *tmp, o->final_path, strerror(errno));
    free(*tmp);
    *tmp = NULL;
    if (!w->opt.progress)
        return;
    fprintf(stderr, "gen_dataset: %s: %" PRIu64 " rows, %" PRIu64 " bytes of CSV", o->final_path,
            o->rows, o->bytes);
    if (o->gzip)
        fprintf(stderr, ", %" PRIu64 " bytes gzip-compressed in %d member%s", o->gz_bytes,
                w->opt.members, w->opt.members > 1 ? "s" : "");
    fputc('\n', stderr);
}

/* ------------------------------------------------------------------ */
/* Set-up: tables, clusters                                            */
/* ------------------------------------------------------------------ */

static int sector_index(const char *code)
{
    for (int i = 0; i < NSECT; i++)
        if (!strcmp(SECTORS[i].code, code))
            return i;
    die(EXIT_SOFTWARE, "internal error: sector %s not in the table", code);
}

static int family_index(const char *tag, size_t n)
{
    for (int i = 0; i < NFAM; i++)
        if (strlen(FAMILIES[i].tag) == n && !strncmp(FAMILIES[i].tag, tag, n))
            return i;
    die(EXIT_SOFTWARE, "internal error: cluster template %.*s unknown", (int)n, tag);
}

/* Goods are exported by agriculture, mining, manufacturing, wholesale and
 * cold storage; the other services export nothing through customs. */
static int sector_tradable(const char *code)
{
    int two = (code[0] - '0') * 10 + (code[1] - '0');
    return two <= 33 || two == 46 || two == 52;
}

static void init_tables(world *w)
{
    for (int s = 0; s < NSECT; s++) {
        w->sect_fam[s] = -1;
        w->sect_trade[s] = sector_tradable(SECTORS[s].code);
    }
    for (int f = 0; f < NFAM; f++) {
        const family_def *fd = &FAMILIES[f];
        int n = 0;
        while (n < FAM_SECT && fd->sectors[n]) {
            int s = sector_index(fd->sectors[n]);
            w->fam_sect[f][n++] = s;
            if (w->sect_fam[s] < 0)
                w->sect_fam[s] = f;
        }
        w->fam_nsect[f] = n;
        for (n = 0; n < FAM_PROD && fd->products[n]; n++)
            ;
        w->fam_nprod[f] = n;
        for (n = 0; n < FAM_PART && fd->partners[n]; n++)
            ;
        w->fam_npart[f] = n;
    }
    double total = 0;
    for (int r = 0; r < NREG; r++)
        total += REGIONS[r].firm_share;
    for (int r = 0; r < NREG; r++)
        w->reg[r].share = REGIONS[r].firm_share / total;
}

/* Sector mix outside clusters: the national mix, with the sectors of the
 * region's cluster templates twice as common. */
static void init_region_sectors(world *w, int r)
{
    region_t *R = &w->reg[r];
    for (int s = 0; s < NSECT; s++)
        R->sect_w[s] = SECTORS[s].weight;
    for (int c = w->cfirst[r]; c < w->cfirst[r] + w->ccount[r]; c++) {
        int f = w->cl[c].fam;
        for (int k = 0; k < w->fam_nsect[f]; k++)
            R->sect_w[w->fam_sect[f][k]] = SECTORS[w->fam_sect[f][k]].weight * 2.0;
    }
}

/* Founding year: most clusters date from the 2017-2019 cluster decrees. */
static int draw_founded(world *w)
{
    static const double wy[] = {20, 30, 20, 15, 10, 5};
    int y = 2017 + rng_weighted(&w->rng, wy, 6);
    if (y > w->opt.last - 1)
        y = w->opt.last - 1;
    if (y < w->opt.first - 10)
        y = w->opt.first - 10;
    return y;
}

static int draw_type(world *w, int fam)
{
    int t = FAMILIES[fam].type;
    if (rng_chance(&w->rng, 0.25))
        t = (t + 1 + (int)rng_below(&w->rng, 2)) % 3;
    return t;
}

static int cmp_cluster(const void *a, const void *b)
{
    return strcmp(((const cluster_t *)a)->id, ((const cluster_t *)b)->id);
}

static int parse_region_families(int r, int *fam, double *wt)
{
    int n = 0;
    const char *p = REGIONS[r].families;
    while (*p) {
        size_t len = strcspn(p, ":");
        fam[n] = family_index(p, len);
        p += len + 1;
        char *end;
        wt[n++] = strtod(p, &end);
        p = end;
        while (*p == ' ')
            p++;
    }
    return n;
}

static void make_region_clusters(world *w, int r, int *cap)
{
    int fam[NFAM], seq[NFAM] = {0};
    double wt[NFAM];
    int nf = parse_region_families(r, fam, wt);
    double scale = (double)w->opt.firms * w->reg[r].share * NREG / 40000.0;
    int n = 2 + (int)rng_below(&w->rng, 3) + (int)floor(scale + 0.5);
    for (int i = 0; i < n; i++) {
        /* the region's signature cluster first, then by weight */
        int k = i == 0 ? 0 : rng_weighted(&w->rng, wt, nf);
        wt[k] *= 0.5; /* variety first, repeats later */
        if (w->ncl == *cap) {
            *cap *= 2;
            w->cl = xrealloc(w->cl, (size_t)*cap * sizeof *w->cl);
        }
        cluster_t *c = &w->cl[w->ncl++];
        memset(c, 0, sizeof *c);
        int f = fam[k];
        c->region = r;
        c->fam = f;
        snprintf(c->id, sizeof c->id, "%s-%s-%02d", REGIONS[r].code + 3, FAMILIES[f].tag,
                 ++seq[k]);
        c->type = draw_type(w, f);
        c->founded = draw_founded(w);
        c->weight = rng_lognormal(&w->rng, 0, 0.6);
        c->focus = FAMILIES[f].focus + 0.5 * rng_unif(&w->rng);
        c->main_prod = rng_weighted(&w->rng, FAMILIES[f].pweight, w->fam_nprod[f]);
        c->main_part = rng_weighted(&w->rng, FAMILIES[f].cweight, w->fam_npart[f]);
    }
}

/* Picks cluster indices for the edge cases; -1 when none fits. */
static int find_cluster(world *w, int type, int avoid1, int avoid2, int min_prod)
{
    for (int pass = 0; pass < 2; pass++)
        for (int c = 0; c < w->ncl; c++) {
            cluster_t *k = &w->cl[c];
            if (c == avoid1 || c == avoid2 || k->founded > w->opt.first ||
                k->region == w->gap_region || w->fam_nprod[k->fam] < min_prod ||
                k->dissolve_year || k->n0_year || k->n1_year)
                continue;
            if (pass == 0 && type >= 0 && k->type != type)
                continue;
            return c;
        }
    return -1;
}

/* The smallest cluster of the type existing from the first year. */
static int smallest_cluster(world *w, int type)
{
    int best = -1;
    for (int c = 0; c < w->ncl; c++) {
        const cluster_t *k = &w->cl[c];
        if (k->founded <= w->opt.first && k->region != w->gap_region && k->type == type &&
            (best < 0 || k->target < w->cl[best].target))
            best = c;
    }
    return best >= 0 ? best : find_cluster(w, -1, -1, -1, 1);
}

static void init_edge_cases(world *w)
{
    int first = w->opt.first, y = w->nyears;
    w->gap_region = w->gap_year = -1;
    w->miss_a_year = w->miss_b_year = -1;
    w->budget_gap_region = w->budget_gap_year = -1;
    if (!w->opt.edge)
        return;
    w->budget_gap_region = 7; /* UZ-QR: budget figure not yet published */
    w->budget_gap_year = first;
    if (y >= 3) {
        w->gap_region = 9; /* UZ-SI: the statistics file of a middle year is missing */
        w->gap_year = first + y / 2;
        int c = smallest_cluster(w, T_CONGL);
        if (c >= 0)
            w->cl[c].dissolve_year = first + y - 2;
    }
    if (y >= 2) {
        int c = find_cluster(w, -1, -1, -1, 2);
        if (c >= 0)
            w->cl[c].n1_year = first + 1;
    }
    int c = find_cluster(w, -1, -1, -1, 1);
    if (c >= 0)
        w->cl[c].n0_year = first;
    if (y >= 3)
        w->miss_a_year = first + 1;
    if (y >= 5)
        w->miss_b_year = first + 2;
}

static void init_clusters(world *w)
{
    int cap = 64;
    w->cl = xmalloc((size_t)cap * sizeof *w->cl);
    w->ncl = 0;
    for (int r = 0; r < NREG; r++)
        make_region_clusters(w, r, &cap);
    qsort(w->cl, (size_t)w->ncl, sizeof *w->cl, cmp_cluster);
    for (int r = 0; r < NREG; r++)
        w->ccount[r] = 0;
    for (int c = w->ncl - 1; c >= 0; c--) {
        w->cfirst[w->cl[c].region] = c;
        w->ccount[w->cl[c].region]++;
    }
    for (int r = 0; r < NREG; r++) {
        double total = 0;
        for (int c = w->cfirst[r]; c < w->cfirst[r] + w->ccount[r]; c++)
            total += w->cl[c].weight;
        double n_r = (double)w->opt.firms * w->reg[r].share;
        for (int c = w->cfirst[r]; c < w->cfirst[r] + w->ccount[r]; c++) {
            int t = (int)floor(0.2 * n_r * w->cl[c].weight / total + 0.5);
            w->cl[c].target = t < 6 ? 6 : t;
        }
        init_region_sectors(w, r);
    }
}

/* ------------------------------------------------------------------ */
/* Firm life                                                           */
/* ------------------------------------------------------------------ */

/* A bijection of [0, 2^27): distinct counters give distinct tax ids. */
static uint32_t firm_id(uint64_t k, uint64_t key)
{
    const uint32_t mask = (1u << ID_BITS) - 1;
    uint32_t x = (uint32_t)k & mask;
    for (int round = 0; round < 3; round++) {
        x = (x * 0x2c1b3c6du + (uint32_t)(key >> (round * 16))) & mask;
        x ^= x >> 11;
        x = (x * 0x297a2d39u) & mask;
        x ^= x >> 14;
    }
    return 200000000u + x;
}

static int fam_has_sector(const world *w, int fam, int sector)
{
    for (int k = 0; k < w->fam_nsect[fam]; k++)
        if (w->fam_sect[fam][k] == sector)
            return 1;
    return 0;
}

static int cluster_active(const cluster_t *c, int year)
{
    return c->founded <= year && (!c->dissolve_year || year < c->dissolve_year);
}

/* Exporter and innovator traits; a cluster raises both. */
static void draw_traits(world *w, firm_t *f)
{
    double pe, pi;
    int fam = w->sect_fam[f->sector];
    if (f->cluster >= 0) {
        const cluster_t *c = &w->cl[f->cluster];
        static const double inn[3] = {0.30, 0.12, 0.10};
        pe = c->type == T_CONGL ? 0.25 : 0.32;
        pi = inn[c->type] * FAMILIES[c->fam].innov;
        fam = c->fam;
    } else {
        pe = 0.04;
        pi = 0.05 * (fam >= 0 ? FAMILIES[fam].innov : 1.0);
    }
    if (f->size >= 50) {
        pe *= 2;
        pi *= 1.6;
    }
    int tradable = w->sect_trade[f->sector] && fam >= 0;
    if (tradable && (rng_chance(&w->rng, pe) || (f->flags & F_ANCHOR)))
        f->flags |= F_EXPORTER;
    if (rng_chance(&w->rng, pi > 0.9 ? 0.9 : pi))
        f->flags |= F_INNOVATOR;
    if ((f->flags & F_ANCHOR) && f->cluster >= 0 && w->cl[f->cluster].type == T_INNOV)
        f->flags |= F_INNOVATOR; /* the anchor of an innovation cluster does R&D */
}

static firm_t *firm_new(world *w, int r, int cluster, int sector, double size, int born,
                        unsigned flags)
{
    region_t *R = &w->reg[r];
    if (R->n == R->cap) {
        R->cap = R->cap ? R->cap * 2 : 1024;
        R->f = xrealloc(R->f, R->cap * sizeof *R->f);
    }
    if (w->next_firm >= (1u << ID_BITS))
        die(EXIT_USAGE, "too many firms for 9-digit tax ids; use fewer --firms or --years");
    firm_t *f = &R->f[R->n++];
    memset(f, 0, sizeof *f);
    f->id = firm_id(w->next_firm++, w->id_key);
    f->seed = rng_next(&w->rng);
    f->cluster = cluster;
    f->sector = (int16_t)sector;
    f->size = (float)size;
    f->born = (int16_t)born;
    f->flags = (uint8_t)flags;
    f->prod = (float)rng_lognormal(&w->rng, 0, 0.45);
    f->taxr = (float)(SECTORS[sector].tax / 100.0 * rng_lognormal(&w->rng, 0, 0.3));
    f->exshare = (float)(0.08 + 0.6 * rng_unif(&w->rng));
    draw_traits(w, f);
    return f;
}

/* A member's activity: the anchor's sector is rarer among the members. */
static int member_sector(world *w, int fam)
{
    double wt[FAM_SECT];
    for (int k = 0; k < w->fam_nsect[fam]; k++)
        wt[k] = k == 0 ? 0.6 : 1.0;
    return w->fam_sect[fam][rng_weighted(&w->rng, wt, w->fam_nsect[fam])];
}

static int other_sector(world *w, int r)
{
    return rng_weighted(&w->rng, w->reg[r].sect_w, NSECT);
}

/* The anchor company: log-uniform between hi/6 and hi, hi = 1.5 times the
 * region's typical number of firms (200..5000), so that anchors do not
 * swamp the regional totals of a small example. */
static double anchor_size(world *w, int r)
{
    double hi = 1.5 * (double)w->opt.firms * w->reg[r].share;
    hi = hi < 200 ? 200 : hi > 5000 ? 5000 : hi;
    return exp(log(hi / 6) + rng_unif(&w->rng) * log(6.0));
}

/* The founding core of a cluster: an anchor company and members. */
static void seed_cluster(world *w, int c, int year, int initial)
{
    cluster_t *k = &w->cl[c];
    int fam = k->fam, r = k->region;
    /* one random draw per statement: argument order is unspecified in C */
    double size = anchor_size(w, r);
    int born = initial ? year - 3 - (int)rng_below(&w->rng, 15) : year;
    firm_new(w, r, c, w->fam_sect[fam][0], size, born, F_ANCHOR);
    int members = initial ? k->target - 1 : 0;
    if (!initial) { /* recruit firms of the chain that already exist */
        region_t *R = &w->reg[r];
        for (size_t i = 0; i < R->n; i++) {
            firm_t *f = &R->f[i];
            if (f->cluster < 0 && fam_has_sector(w, fam, f->sector) && !(f->flags & F_PINNED) &&
                rng_chance(&w->rng, 0.3)) {
                f->cluster = c;
                draw_traits(w, f);
                members++;
            }
        }
        members = k->target / 2 - members;
    }
    for (int i = 0; i < members; i++) {
        size = initial ? rng_lognormal(&w->rng, 1.9, 1.1) : rng_lognormal(&w->rng, 1.2, 0.9);
        born = initial ? year - (int)rng_below(&w->rng, 12) : year;
        firm_new(w, r, c, member_sector(w, fam), size, born, 0);
    }
}

/* Edge cases: two mid-size members that never exit nor leave, whose
 * headcount goes missing in one year (A) and in two consecutive years (B). */
static void seed_pinned(world *w)
{
    if (w->miss_a_year < 0)
        return;
    int c = find_cluster(w, T_INNOV, -1, -1, 1);
    if (c < 0)
        return;
    int r = w->cl[c].region, fam = w->cl[c].fam;
    firm_t *a = firm_new(w, r, c, member_sector(w, fam), 42, w->opt.first - 6, F_PINNED);
    w->pin_a = a->id;
    firm_t *b = firm_new(w, r, c, member_sector(w, fam), 85, w->opt.first - 9, F_PINNED);
    w->pin_b = b->id;
}

static void initial_population(world *w)
{
    int t = w->opt.first;
    for (int r = 0; r < NREG; r++) {
        long n_r = lround((double)w->opt.firms * w->reg[r].share);
        for (int c = w->cfirst[r]; c < w->cfirst[r] + w->ccount[r]; c++)
            if (cluster_active(&w->cl[c], t))
                seed_cluster(w, c, t, 1);
        while ((long)w->reg[r].n < n_r) {
            double size = rng_lognormal(&w->rng, 1.2, 1.15);
            int born = t - (int)rng_below(&w->rng, 20);
            firm_new(w, r, -1, other_sector(w, r), size, born, 0);
        }
    }
    seed_pinned(w);
}

static int firm_exits(world *w, const firm_t *f, int year)
{
    if (f->flags & (F_ANCHOR | F_PINNED))
        return 0;
    int age = year - f->born;
    double p = 0.06 + (age < 2 ? 0.06 : age < 5 ? 0.03 : 0.0);
    if (f->size >= 50)
        p *= 0.4;
    if (f->size >= 250)
        p *= 0.5;
    return rng_chance(&w->rng, p);
}

static void firm_grow(world *w, firm_t *f, int year)
{
    int age = year - f->born;
    double g = 0.03 + (age < 3 ? 0.08 : 0.0) - (f->size > 500 ? 0.02 : 0.0);
    double s = f->size * exp(g + 0.16 * rng_normal(&w->rng));
    if (rng_chance(&w->rng, 0.03)) /* a big order won or lost */
        s *= exp(0.6 * rng_normal(&w->rng));
    if (s > 30000)
        s = 30000;
    f->size = (float)s;
}

/* Joining or leaving a cluster; returns 0 when the firm closes instead. */
static int firm_churn(world *w, firm_t *f, int r, int year)
{
    if (f->cluster >= 0) {
        const cluster_t *c = &w->cl[f->cluster];
        if (c->dissolve_year == year) {
            if (rng_chance(&w->rng, 0.35))
                return 0;
            f->cluster = -1;
            f->flags &= (uint8_t)~(F_ANCHOR | F_PINNED);
        } else if (!(f->flags & (F_ANCHOR | F_PINNED)) && rng_chance(&w->rng, 0.015)) {
            f->cluster = -1;
        }
        return 1;
    }
    if (w->sect_fam[f->sector] < 0 || (f->flags & F_PINNED) || !rng_chance(&w->rng, 0.01))
        return 1;
    int cand[64], n = 0;
    for (int c = w->cfirst[r]; c < w->cfirst[r] + w->ccount[r] && n < 64; c++)
        if (fam_has_sector(w, w->cl[c].fam, f->sector) && cluster_active(&w->cl[c], year))
            cand[n++] = c;
    if (n) {
        f->cluster = cand[rng_below(&w->rng, (uint32_t)n)];
        draw_traits(w, f);
    }
    return 1;
}

static void evolve_region(world *w, int r, int year)
{
    region_t *R = &w->reg[r];
    size_t k = 0;
    for (size_t i = 0; i < R->n; i++) {
        firm_t f = R->f[i];
        if (firm_exits(w, &f, year))
            continue;
        firm_grow(w, &f, year);
        if (!firm_churn(w, &f, r, year))
            continue;
        R->f[k++] = f;
    }
    R->n = k;
}

/* New firms: about one in seven joins an active cluster of the region. */
static void add_entrants(world *w, int r, int year)
{
    region_t *R = &w->reg[r];
    double target = (double)w->opt.firms * R->share * (1.0 + 0.015 * (year - w->opt.first));
    double wt[512];
    int idx[512], n = 0;
    for (int c = w->cfirst[r]; c < w->cfirst[r] + w->ccount[r] && n < 512; c++)
        if (cluster_active(&w->cl[c], year)) {
            idx[n] = c;
            wt[n++] = w->cl[c].weight;
        }
    while ((double)R->n < target) {
        double size = rng_lognormal(&w->rng, 0.7, 0.8);
        if (n && rng_chance(&w->rng, 0.15)) {
            int c = idx[rng_weighted(&w->rng, wt, n)];
            firm_new(w, r, c, member_sector(w, w->cl[c].fam), size, year, 0);
        } else {
            firm_new(w, r, -1, other_sector(w, r), size, year, 0);
        }
    }
}

static void advance_year(world *w, int year)
{
    for (int r = 0; r < NREG; r++) {
        evolve_region(w, r, year);
        for (int c = w->cfirst[r]; c < w->cfirst[r] + w->ccount[r]; c++)
            if (w->cl[c].founded == year)
                seed_cluster(w, c, year, 0);
        add_entrants(w, r, year);
    }
}

/* ------------------------------------------------------------------ */
/* Rows                                                                */
/* ------------------------------------------------------------------ */

typedef struct {
    int64_t emp;                  /* headcount */
    double rev;                   /* revenue, million UZS */
    int64_t rev_c, tax_c, rd_c, inr_c;
    int innovating, patents;
} firm_year;

static void firm_values(world *w, const firm_t *f, firm_year *v)
{
    rng_t *g = &w->rng;
    double size = f->size;
    v->emp = (int64_t)llround(size);
    if (v->emp < 1) /* a few micro firms have no employee but the owner */
        v->emp = (f->seed & 0xff) < 8 ? 0 : 1;
    double eff = size < 0.4 ? 0.4 : size;
    double rpe = SECTORS[f->sector].rpe * w->price * f->prod;
    v->rev = eff * rpe * rng_lognormal(g, 0, 0.12);
    v->rev_c = to_cents(v->rev);
    if (rng_chance(g, 0.01)) /* exempt from local taxes this year */
        v->tax_c = 0;
    else
        v->tax_c = to_cents(v->rev * f->taxr * rng_lognormal(g, 0, 0.15));
    int innov = (f->flags & F_INNOVATOR) != 0;
    int type = f->cluster >= 0 ? w->cl[f->cluster].type : -1;
    double rd = 0;
    if (rng_chance(g, innov ? 0.7 : 0.02))
        rd = v->rev * (0.003 + 0.05 * rng_unif(g)) * (type == T_INNOV ? 2.5 : 1.0);
    v->rd_c = to_cents(rd);
    v->innovating = rng_chance(g, innov ? (rd > 0 ? 0.75 : 0.4) : 0.03);
    v->inr_c = v->innovating ? to_cents(v->rev * (0.02 + 0.33 * rng_unif(g))) : 0;
    double lambda = 0.15 + size / 400.0;
    v->patents = rd > 0 ? rng_poisson(g, lambda > 8 ? 8 : lambda) : rng_chance(g, 0.002);
}

/* Missing cells: one draw, five 12-bit lotteries of 20/4096 (about 0.5 %). */
enum { M_EMP = 1, M_REV = 2, M_TAX = 4, M_RD = 8, M_INNOV = 16 };

static unsigned draw_missing(world *w)
{
    uint64_t x = rng_next(&w->rng);
    unsigned m = 0;
    for (int i = 0; i < 5; i++)
        if (((x >> (12 * i)) & 0xfff) < 20)
            m |= 1u << i;
    return m;
}

static const char *cluster_name(world *w, int c) { return c >= 0 ? w->cl[c].id : ""; }

static void write_firm_row(world *w, int year, int r, const firm_t *f, const firm_year *v,
                           unsigned miss)
{
    out_file *o = &w->out[OUT_FIRMS];
    char *p = out_reserve(o);
    p = put_u64(p, (uint64_t)year);
    *p++ = ',';
    p = put_str(p, REGIONS[r].code);
    *p++ = ',';
    p = put_str(p, cluster_name(w, f->cluster));
    *p++ = ',';
    p = put_u64(p, f->id);
    *p++ = ',';
    /* a few firms outside clusters have no activity code on file */
    if (f->cluster >= 0 || (f->seed >> 52) % 1000 != 0)
        p = put_str(p, SECTORS[f->sector].code);
    *p++ = ',';
    if (!(miss & M_EMP))
        p = put_u64(p, (uint64_t)v->emp);
    *p++ = ',';
    if (!(miss & M_REV))
        p = put_cents(p, v->rev_c);
    *p++ = ',';
    if (!(miss & M_TAX))
        p = put_cents(p, v->tax_c);
    *p++ = ',';
    if (!(miss & M_RD))
        p = put_cents(p, v->rd_c);
    *p++ = ',';
    p = put_cents(p, v->inr_c);
    *p++ = ',';
    if (!(miss & M_INNOV))
        *p++ = (char)('0' + v->innovating);
    *p++ = ',';
    p = put_u64(p, (uint64_t)v->patents);
    *p++ = '\n';
    out_commit(o, p);
}

static void write_export_row(world *w, int year, int r, const firm_t *f, const char *product,
                             const char *partner, int64_t cents)
{
    out_file *o = &w->out[OUT_EXPORTS];
    char *p = out_reserve(o);
    p = put_u64(p, (uint64_t)year);
    *p++ = ',';
    p = put_str(p, REGIONS[r].code);
    *p++ = ',';
    p = put_str(p, cluster_name(w, f->cluster));
    *p++ = ',';
    p = put_u64(p, f->id);
    *p++ = ',';
    p = put_str(p, product);
    *p++ = ',';
    p = put_str(p, partner);
    *p++ = ',';
    p = put_cents(p, cents);
    *p++ = '\n';
    out_commit(o, p);
}

/* Draws up to n distinct indices by weight into out[]; returns how many. */
static int pick_distinct(rng_t *g, const double *weight, int total, int n, int *out)
{
    double wt[FAM_PART];
    memcpy(wt, weight, (size_t)total * sizeof *wt);
    if (n > total)
        n = total;
    for (int i = 0; i < n; i++) {
        int k = rng_weighted(g, wt, total);
        out[i] = k;
        wt[k] = 0;
    }
    return n;
}

static int basket_size(rng_t *g)
{
    double u = rng_unif(g);
    return u < 0.45 ? 1 : u < 0.75 ? 2 : u < 0.9 ? 3 : 4 + (int)rng_below(g, 2);
}

/* The firm's customs declarations of the year: products x partners. */
static void firm_exports(world *w, int year, int r, const firm_t *f, double rev)
{
    rng_t *g = &w->rng;
    if (!(f->flags & F_EXPORTER))
        return;
    if (!(f->flags & F_ANCHOR) && !rng_chance(g, 0.85)) /* a year without shipments */
        return;
    const cluster_t *c = f->cluster >= 0 ? &w->cl[f->cluster] : NULL;
    int fam = c ? c->fam : w->sect_fam[f->sector];
    if (fam < 0)
        return;
    const family_def *fd = &FAMILIES[fam];
    int prod[FAM_PROD], part[FAM_PART], np, nc;
    rng_t fr; /* the firm's own stream: the same basket every year */
    rng_seed(&fr, f->seed);
    if (c && rng_unif(&fr) < c->focus) {
        prod[0] = c->main_prod;
        part[0] = c->main_part;
        np = nc = 1;
    } else {
        np = pick_distinct(&fr, fd->pweight, w->fam_nprod[fam], basket_size(&fr), prod);
        nc = pick_distinct(&fr, fd->cweight, w->fam_npart[fam], basket_size(&fr), part);
    }
    if (c && c->n1_year == year) { /* edge case: a one-product cluster-year */
        prod[0] = c->main_prod;
        np = 1;
    }
    double usd = rev * 1e6 / fx_rate(year) * f->exshare * rng_lognormal(g, 0, 0.35);
    double share[FAM_PROD * FAM_PART], sum = 0;
    int keep[FAM_PROD * FAM_PART];
    for (int i = 0; i < np * nc; i++) {
        keep[i] = i == 0 || rng_chance(g, 0.75);
        share[i] = keep[i] ? -log(1.0 - rng_unif(g)) : 0;
        sum += share[i];
    }
    int n0 = c && c->n0_year == year;
    for (int i = 0; i < np * nc; i++) {
        if (!keep[i])
            continue;
        const char *pr = fd->products[prod[i / nc]], *pa = fd->partners[part[i % nc]];
        int64_t cents = to_cents(usd * share[i] / sum);
        if (cents < 1)
            cents = 1;
        uint32_t u = rng_below(g, 10000);
        if (n0) { /* edge case: only rows the indicators must ignore */
            if (u % 2)
                cents = 0;
            else
                pr = "";
        } else if (u < 15) {
            cents = 0; /* declared, not shipped */
        } else if (u < 25) {
            cents = -cents; /* a correction of an earlier declaration */
        } else if (u < 35) {
            pr = ""; /* product code not recorded */
        } else if (u < 45) {
            pa = ""; /* partner country not recorded */
        }
        write_export_row(w, year, r, f, pr, pa, cents);
    }
}

static void write_year(world *w, int year)
{
    int yi = year - w->opt.first;
    w->price = price_level(year);
    for (int r = 0; r < NREG; r++) {
        region_t *R = &w->reg[r];
        uint64_t emp = 0;
        int64_t tax = 0;
        int gap = r == w->gap_region && year == w->gap_year;
        for (size_t i = 0; i < R->n; i++) {
            const firm_t *f = &R->f[i];
            firm_year v;
            firm_values(w, f, &v);
            unsigned miss = draw_missing(w);
            if ((f->id == w->pin_a && year == w->miss_a_year) ||
                (f->id == w->pin_b && (year == w->miss_b_year || year == w->miss_b_year + 1)))
                miss |= M_EMP;
            else if (f->flags & F_PINNED)
                miss &= ~(unsigned)M_EMP;
            emp += (uint64_t)v.emp;
            tax += v.tax_c;
            if (!gap)
                write_firm_row(w, year, r, f, &v, miss);
            firm_exports(w, year, r, f, v.rev);
        }
        w->emp_true[yi * NREG + r] = emp;
        w->tax_true[yi * NREG + r] = tax;
    }
}

/* Regional totals: the firms' employment and local taxes are a share of
 * the region's (coverage, tax_share); population from the employment rate. */
static void write_regions(world *w)
{
    out_file *o = &w->out[OUT_REGIONS];
    double pop0[NREG];
    for (int yi = 0; yi < w->nyears; yi++) {
        int year = w->opt.first + yi;
        for (int r = 0; r < NREG; r++) {
            const region_def *d = &REGIONS[r];
            uint64_t femp = w->emp_true[yi * NREG + r];
            double cov = d->coverage * (1.0 + 0.03 * rng_normal(&w->rng));
            uint64_t emp = (uint64_t)llround((double)femp / cov);
            if (emp <= femp)
                emp = femp + 1;
            if (yi == 0)
                pop0[r] = (double)emp / d->emp_rate;
            uint64_t pop = (uint64_t)llround(pop0[r] * pow(1.019, yi));
            double ts = d->tax_share * (1.0 + 0.05 * rng_normal(&w->rng));
            int64_t budget = (int64_t)llround((double)w->tax_true[yi * NREG + r] / ts);
            char *p = out_reserve(o);
            p = put_u64(p, (uint64_t)year);
            *p++ = ',';
            p = put_str(p, d->code);
            *p++ = ',';
            p = put_u64(p, pop);
            *p++ = ',';
            p = put_u64(p, emp);
            *p++ = ',';
            if (!(r == w->budget_gap_region && year == w->budget_gap_year))
                p = put_cents(p, budget);
            *p++ = '\n';
            out_commit(o, p);
        }
    }
}

static void write_clusters(world *w)
{
    out_file *o = &w->out[OUT_CLUSTERS];
    for (int c = 0; c < w->ncl; c++) {
        const cluster_t *k = &w->cl[c];
        char *p = out_reserve(o);
        p = put_str(p, k->id);
        *p++ = ',';
        p = put_str(p, REGIONS[k->region].code);
        *p++ = ',';
        p = put_str(p, TYPE_NAME[k->type]);
        *p++ = ',';
        p = put_str(p, SECTORS[w->fam_sect[k->fam][0]].code);
        *p++ = ',';
        p = put_u64(p, (uint64_t)k->founded);
        *p++ = '\n';
        out_commit(o, p);
    }
}

static void report_edge_cases(world *w)
{
    if (!w->opt.progress || !w->opt.edge)
        return;
    if (w->gap_region >= 0)
        fprintf(stderr, "gen_dataset: edge: no firm rows for %s in %d\n",
                REGIONS[w->gap_region].code, w->gap_year);
    for (int c = 0; c < w->ncl; c++) {
        const cluster_t *k = &w->cl[c];
        if (k->dissolve_year)
            fprintf(stderr, "gen_dataset: edge: every member leaves %s in %d\n", k->id,
                    k->dissolve_year);
        if (k->n1_year)
            fprintf(stderr, "gen_dataset: edge: %s exports one product in %d\n", k->id,
                    k->n1_year);
        if (k->n0_year)
            fprintf(stderr, "gen_dataset: edge: %s has only ignorable export rows in %d\n",
                    k->id, k->n0_year);
    }
    if (w->pin_a)
        fprintf(stderr, "gen_dataset: edge: firm %u has no headcount in %d\n", w->pin_a,
                w->miss_a_year);
    if (w->pin_b && w->miss_b_year >= 0)
        fprintf(stderr, "gen_dataset: edge: firm %u has no headcount in %d-%d\n", w->pin_b,
                w->miss_b_year, w->miss_b_year + 1);
    if (w->budget_gap_region >= 0)
        fprintf(stderr, "gen_dataset: edge: no local_budget_revenue for %s in %d\n",
                REGIONS[w->budget_gap_region].code, w->budget_gap_year);
}

static void world_free(world *w)
{
    for (int r = 0; r < NREG; r++)
        free(w->reg[r].f);
    for (int i = 0; i < NOUT; i++) {
        free(w->out[i].final_path);
        free(w->out[i].plain_tmp);
        free(w->out[i].gz_tmp);
        free(w->out[i].buf);
    }
    free(w->cl);
    free(w->emp_true);
    free(w->tax_true);
}

int main(int argc, char **argv)
{
    static world w; /* large; zero-initialised */
    parse_args(argc, argv, &w.opt);
    w.nyears = w.opt.last - w.opt.first + 1;
    uint64_t s = w.opt.seed;
    rng_seed(&w.rng, splitmix64(&s));
    w.id_key = splitmix64(&s);
    make_dirs(w.opt.out_dir);
    g_world = &w;
    for (int i = 0; i < NOUT; i++)
        out_open(&w, i);
    w.emp_true = xcalloc((size_t)w.nyears * NREG, sizeof *w.emp_true);
    w.tax_true = xcalloc((size_t)w.nyears * NREG, sizeof *w.tax_true);

    init_tables(&w);
    w.gap_region = -1; /* find_cluster consults it before init_edge_cases */
    init_clusters(&w);
    init_edge_cases(&w);
    initial_population(&w);
    for (int year = w.opt.first; year <= w.opt.last; year++) {
        if (year > w.opt.first)
            advance_year(&w, year);
        write_year(&w, year);
        if (w.opt.progress)
            fprintf(stderr, "gen_dataset: %d: %" PRIu64 " firm rows, %" PRIu64 " export rows\n",
                    year, w.out[OUT_FIRMS].rows, w.out[OUT_EXPORTS].rows);
    }
    write_regions(&w);
    write_clusters(&w);
    report_edge_cases(&w);
    for (int i = 0; i < NOUT; i++)
        out_finish(&w, i);
    for (int i = 0; i < NOUT; i++)
        out_publish(&w, i);
    g_world = NULL;
    world_free(&w);
    return 0;
}
