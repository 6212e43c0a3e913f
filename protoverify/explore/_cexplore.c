/*
 * _cexplore: breadth-first exploration of an unfolded (P/T) net.
 *
 * The Python side (protoverify/explore/unfold.py) turns a coloured net into
 * counters ("slots", one per (place, colour)), bindings (need / inhibit /
 * delta lists) and one flat program per transition (a trie over the
 * transition's input patterns, in the canonical binding order).  This module
 * explores the reachable markings breadth first, in exactly the order of the
 * Python explorer: states are numbered in discovery order, successors are
 * generated transition by transition, binding by binding.
 *
 * Storage.  A marking is packed into 64-bit words, each counter a bit field
 * that never straddles two words; a record is the first `rec_bytes` bytes of
 * those words (little-endian), kept in chunks of CHUNK records.  Counters
 * start as wide as the initial marking needs and are widened (every record
 * re-encoded) when a firing overflows one.  The visited table is open
 * addressing over 32-bit state numbers with an 8-bit tag per bucket.
 *
 * Hashing.  h(m) = C0 + sum over slots of count * R[slot] (mod 2^64), with
 * random R: independent of the layout (widening keeps every hash) and
 * updated in O(changes) per firing.  Table positions and tags come from a
 * 64-bit finaliser of h.
 *
 * Hash compaction (compact=True).  The table keeps only h (64 bits, the
 * "fingerprint") and each state its fingerprint and parent; records are kept
 * for the frontier only.  A marking behind the frontier is rebuilt by
 * replaying its path from the initial marking, choosing at each step the
 * first successor with the recorded fingerprint.
 *
 * Run-time errors of the model are never evaluated here: a transition with
 * "traps" (markings where the Python code might fail) calls back into Python
 * for its bindings in such markings; Python then either lists the enabled
 * bindings or returns the error it raised, which stops the exploration.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <pthread.h>
#include <time.h>

#define CHUNK_BITS 16
#define CHUNK ((uint64_t)1 << CHUNK_BITS)
#define NONE32 0xFFFFFFFFu
#define MASK_WORDS_MAX 2
#define TRIGGER_MIN_TRANS 16
#define TRIGGER_MAX_WORDS (1 << 20)

enum { OP_TEST = 0, OP_BIND = 1, OP_END = 2, OP_TRAP = 3 };
enum { ST_RUNNING = 0, ST_DONE = 1, ST_LIMIT = 2, ST_ERROR = 3 };

typedef struct {
    uint32_t word;
    uint32_t shift;
    uint64_t mask;     /* (1 << width) - 1 */
} Field;

/* what expanding one state needs: one per thread */
typedef struct {
    uint32_t *cnt;                /* counters of the state being expanded */
    uint64_t *nz;                 /* which of them are non-zero (mw words), if mw > 0 */
    int32_t *cand;                /* candidate transitions */
    uint64_t *tacc;               /* their bit set */
    int32_t *buf;                 /* enabled bindings */
    uint64_t buf_cap;
    uint64_t *cur;                /* workers: the record being expanded */
    int32_t cur_words;
    /* workers: successors computed in a batch (records, hashes, known targets, bindings) */
    uint32_t *otarget;            /* per edge: the state found, NONE32 (not found) or KNOWN_FP */
    int32_t *obind;               /* per edge: its binding */
    uint64_t on, ocap;
    uint64_t *urec, *uhash, *ufirst;  /* per successor not found: record, hash, first occurrence */
    uint32_t *utarget;            /* ... and the state it became */
    uint64_t un, ucap;
    int32_t uwords;
    uint64_t *trec, *thash;       /* one state's successors */
    uint64_t tcap;
    int32_t twords;
} Scratch;

typedef struct {
    PyObject_HEAD
    /* the net */
    int32_t nslots, nplaces, ntrans, nbind;
    int32_t *slot_place;
    int32_t *place_lo, *place_hi;
    int32_t *prog;
    int32_t *prog_start;
    int32_t *bind;
    int64_t *bind_off;
    int32_t *trap;
    int32_t *trap_off;            /* per trap: its offset in trap */
    int32_t ntraps;
    uint64_t *tbits;              /* per place (and one more: none): bit set of the transitions it triggers */
    uint8_t *ptrig_any;
    int32_t twords;
    uint32_t *initial;
    uint64_t *R;
    uint64_t C0;
    PyObject *slot_values;        /* list */
    PyObject *delegate;           /* callable(t, marking) -> (list of bindings, error or None) */
    /* layout */
    uint8_t *width;
    Field *field;
    int32_t nwords;
    int32_t rec_bytes;
    /* storage */
    uint8_t **chunks;
    uint64_t nchunks, chunks_cap;
    uint64_t freed_chunks;        /* compact mode: chunks [0, freed_chunks) are released */
    uint64_t *root;               /* the initial record (compact mode replays from it) */
    uint32_t *parent;
    uint64_t parent_cap;
    uint32_t *table;              /* exact mode */
    uint8_t *tags;
    uint64_t *fptable;            /* compact mode */
    uint64_t *fps;                /* compact mode, per state */
    uint64_t fps_cap, succ_off_cap;
    uint64_t cap, mask, used;
    int compact;
    /* exploration */
    uint64_t nstates, head, edges, limit;
    uint32_t *dead;
    uint64_t ndead, dead_cap;
    uint64_t *bounds;
    uint8_t *fired;
    int keep;
    uint64_t *succ_off;           /* per expanded state + 1 */
    uint64_t *succ;               /* (target << 32) | binding */
    uint64_t nsucc, succ_cap;
    int status;
    PyObject *error;
    /* scratch */
    uint64_t *cur, *nw, *tmp;
    Scratch ms;                   /* the calling thread's */
    int workers;                  /* threads expanding a batch (1: sequential) */
    uint64_t par_min, par_batch;  /* queue length that starts the threads; states per batch */
    uint64_t par_batches, par_states, par_redone, par_helper;  /* parallel search figures */
    double par_gen_s, par_commit_s;                            /* wall seconds in both phases */
    double par_cpu_s;                                          /* CPU seconds of all threads expanding */
    double par_commit_cpu_s;                                   /* CPU seconds of the commits */
    uint64_t par_lookups;                                      /* successors the commit looked up again */
    int32_t mw;                   /* words of a slot bit set; 0: small-net masks off */
    int all1;                     /* every counter is one bit wide (slot s is bit s of the record) */
    int32_t *single;              /* per transition: its one binding when its program is just that, or -1 */
    uint64_t *bmask;              /* per binding: need mask, inhibit mask (mw words each) */
    uint8_t *bsimple;             /* per binding: every need is one token (the masks decide) */
    uint64_t *sbuf, *shash;       /* its successors and their hashes */
    uint64_t sbuf_cap;
    uint64_t *rkeys, *rrecs;      /* compact mode: replay cache */
    int32_t rwords;
    uint64_t widenings;
} Core;

/* ------------------------------------------------------------ helpers */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static inline uint64_t get(const Core *c, const uint64_t *rec, int32_t s) {
    const Field *f = &c->field[s];
    return (rec[f->word] >> f->shift) & f->mask;
}

static inline void put(const Core *c, uint64_t *rec, int32_t s, uint64_t v) {
    const Field *f = &c->field[s];
    rec[f->word] = (rec[f->word] & ~(f->mask << f->shift)) | (v << f->shift);
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) PyErr_NoMemory();
    return q;
}

static int is_little_endian(void) {
    uint16_t x = 1;
    return *(uint8_t *)&x == 1;
}

/* fields never straddle a word; returns 0 on success */
static int layout(Core *c) {
    int32_t word = 0, bit = 0;
    Field *f = (Field *)xrealloc(c->field, sizeof(Field) * (size_t)(c->nslots ? c->nslots : 1));
    if (!f) return -1;
    c->field = f;
    for (int32_t s = 0; s < c->nslots; s++) {
        int w = c->width[s];
        if (bit + w > 64) { word++; bit = 0; }
        f[s].word = (uint32_t)word;
        f[s].shift = (uint32_t)bit;
        f[s].mask = (w == 64) ? ~0ULL : ((1ULL << w) - 1);
        bit += w;
    }
    c->nwords = word + 1;
    c->all1 = 1;
    for (int32_t s = 0; s < c->nslots; s++)
        if (c->width[s] != 1) { c->all1 = 0; break; }
    if (is_little_endian())
        c->rec_bytes = 8 * word + (bit + 7) / 8;
    else
        c->rec_bytes = 8 * (word + 1);
    if (c->rec_bytes == 0) c->rec_bytes = 1;
    return 0;
}

static int bits_for(uint64_t v) {
    int b = 1;
    while (b < 32 && (v >> b)) b++;
    return b;
}

static inline uint8_t *record(const Core *c, uint64_t s) {
    return c->chunks[s >> CHUNK_BITS] + (s & (CHUNK - 1)) * (uint64_t)c->rec_bytes;
}

static inline int has_record(const Core *c, uint64_t s) {
    return s < c->nstates && (s >> CHUNK_BITS) >= c->freed_chunks;
}

static inline void load(const Core *c, uint64_t s, uint64_t *dst) {
    memset(dst, 0, sizeof(uint64_t) * (size_t)c->nwords);
    memcpy(dst, record(c, s), (size_t)c->rec_bytes);
}

static uint64_t full_hash(const Core *c, const uint64_t *rec) {
    uint64_t h = c->C0;
    for (int32_t s = 0; s < c->nslots; s++) {
        uint64_t v = get(c, rec, s);
        if (v) h += v * c->R[s];
    }
    return h;
}

static inline uint64_t fingerprint(uint64_t h) { return h ? h : 1; }

/* exact mode: the table hashes the packed words (cheaper than the linear hash
   for a whole record, and kept nowhere: the table is rebuilt after widening) */
static inline uint64_t word_hash(const Core *c, const uint64_t *rec) {
    uint64_t x = c->C0;
    for (int32_t i = 0; i < c->nwords; i++) {
        x ^= rec[i];
        x *= 0x9E3779B97F4A7C15ULL;
        x ^= x >> 32;
    }
    return fmix64(x);
}

/* a stored record against a zero-padded working record (chunks are padded
   so that reading a whole last word is safe) */
static inline int rec_equal(const Core *c, const uint8_t *stored, const uint64_t *nw) {
    int32_t full = c->rec_bytes / 8, tail = c->rec_bytes % 8;
    for (int32_t i = 0; i < full; i++) {
        uint64_t w;
        memcpy(&w, stored + 8 * i, 8);
        if (w != nw[i]) return 0;
    }
    if (tail) {
        uint64_t w;
        memcpy(&w, stored + 8 * full, 8);
        w &= (1ULL << (8 * tail)) - 1;
        if (w != nw[full]) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ storage */

static int ensure_chunk(Core *c, uint64_t s) {
    uint64_t k = s >> CHUNK_BITS;
    if (k < c->nchunks) return 0;
    if (c->nchunks == c->chunks_cap) {
        uint64_t ncap = c->chunks_cap ? c->chunks_cap * 2 : 16;
        uint8_t **p = (uint8_t **)xrealloc(c->chunks, sizeof(uint8_t *) * ncap);
        if (!p) return -1;
        c->chunks = p;
        c->chunks_cap = ncap;
    }
    uint8_t *chunk = (uint8_t *)malloc(CHUNK * (uint64_t)c->rec_bytes + 8);
    if (!chunk) { PyErr_NoMemory(); return -1; }
    c->chunks[c->nchunks++] = chunk;
    return 0;
}

static int grow_u32(uint32_t **a, uint64_t *cap, uint64_t need) {
    if (need <= *cap) return 0;
    uint64_t ncap = *cap ? *cap : 1024;
    while (ncap < need) ncap *= 2;
    uint32_t *p = (uint32_t *)xrealloc(*a, sizeof(uint32_t) * ncap);
    if (!p) return -1;
    *a = p;
    *cap = ncap;
    return 0;
}

static int grow_u64(uint64_t **a, uint64_t *cap, uint64_t need) {
    if (need <= *cap) return 0;
    uint64_t ncap = *cap ? *cap : 1024;
    while (ncap < need) ncap *= 2;
    uint64_t *p = (uint64_t *)xrealloc(*a, sizeof(uint64_t) * ncap);
    if (!p) return -1;
    *a = p;
    *cap = ncap;
    return 0;
}

/* table: load factor at most 0.75 */
static int table_alloc(Core *c, uint64_t cap) {
    c->cap = cap;
    c->mask = cap - 1;
    if (c->compact) {
        c->fptable = (uint64_t *)calloc(cap, sizeof(uint64_t));
        if (!c->fptable) { PyErr_NoMemory(); return -1; }
    } else {
        c->table = (uint32_t *)malloc(sizeof(uint32_t) * cap);
        c->tags = (uint8_t *)calloc(cap, 1);
        if (!c->table || !c->tags) { PyErr_NoMemory(); return -1; }
    }
    return 0;
}

static inline uint8_t tag_of(uint64_t m) {
    uint8_t t = (uint8_t)(m >> 56);
    return t ? t : 1;
}

/* returns the state number with word hash m and record nw, or NONE32 (exact mode) */
static inline uint32_t lookup_exact(const Core *c, const uint64_t *nw, uint64_t m, uint64_t *pos_out) {
    uint64_t pos = m & c->mask;
    uint8_t tag = tag_of(m);
    for (;;) {
        uint8_t t = c->tags[pos];
        if (t == 0) { *pos_out = pos; return NONE32; }
        if (t == tag) {
            uint32_t s = c->table[pos];
            if (rec_equal(c, record(c, s), nw)) return s;
        }
        pos = (pos + 1) & c->mask;
    }
}

static inline int lookup_compact(const Core *c, uint64_t fp, uint64_t *pos_out) {
    uint64_t pos = fmix64(fp) & c->mask;
    for (;;) {
        uint64_t x = c->fptable[pos];
        if (x == 0) { *pos_out = pos; return 0; }
        if (x == fp) { *pos_out = pos; return 1; }
        pos = (pos + 1) & c->mask;
    }
}

static int table_grow(Core *c) {
    uint64_t ncap = c->cap * 2;
    if (c->compact) {
        uint64_t *old = c->fptable;
        uint64_t ocap = c->cap;
        if (table_alloc(c, ncap) < 0) { c->fptable = old; c->cap = ocap; c->mask = ocap - 1; return -1; }
        for (uint64_t i = 0; i < ocap; i++) {
            if (old[i]) {
                uint64_t pos;
                lookup_compact(c, old[i], &pos);
                c->fptable[pos] = old[i];
            }
        }
        free(old);
        return 0;
    }
    uint32_t *old = c->table;
    uint8_t *otags = c->tags;
    uint64_t ocap = c->cap;
    if (table_alloc(c, ncap) < 0) {
        free(c->table); free(c->tags);
        c->table = old; c->tags = otags; c->cap = ocap; c->mask = ocap - 1;
        return -1;
    }
    /* rehash from the records (hashes are not stored) */
    for (uint64_t i = 0; i < ocap; i++) {
        if (!otags[i]) continue;
        uint32_t s = old[i];
        load(c, s, c->tmp);
        uint64_t m = word_hash(c, c->tmp);
        uint64_t pos = m & c->mask;
        while (c->tags[pos]) pos = (pos + 1) & c->mask;
        c->tags[pos] = tag_of(m);
        c->table[pos] = s;
    }
    free(old);
    free(otags);
    return 0;
}

/* append a new state (record in nw, hash h) */
static int add_state(Core *c, const uint64_t *nw, uint64_t h, uint64_t pos, uint32_t parent) {
    uint64_t s = c->nstates;
    if (ensure_chunk(c, s) < 0) return -1;
    memcpy(record(c, s), nw, (size_t)c->rec_bytes);
    if (grow_u32(&c->parent, &c->parent_cap, s + 1) < 0) return -1;
    c->parent[s] = parent;
    if (c->compact) {
        if (grow_u64(&c->fps, &c->fps_cap, s + 1) < 0) return -1;
        uint64_t fp = fingerprint(h);
        c->fps[s] = fp;
        c->fptable[pos] = fp;
    } else {
        uint64_t m = h;           /* the word hash */
        c->tags[pos] = tag_of(m);
        c->table[pos] = (uint32_t)s;
    }
    c->nstates = s + 1;
    c->used++;
    if (c->used * 4 >= c->cap * 3) {
        if (table_grow(c) < 0) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ widening */

static int widen(Core *c, int32_t slot, uint64_t value) {
    int need = bits_for(value);
    int32_t p = c->slot_place[slot];
    uint8_t *oldw = (uint8_t *)malloc((size_t)(c->nslots ? c->nslots : 1));
    Field *oldf = (Field *)malloc(sizeof(Field) * (size_t)(c->nslots ? c->nslots : 1));
    if (!oldw || !oldf) { free(oldw); free(oldf); PyErr_NoMemory(); return -1; }
    memcpy(oldw, c->width, (size_t)c->nslots);
    memcpy(oldf, c->field, sizeof(Field) * (size_t)c->nslots);
    int32_t onwords = c->nwords, orec = c->rec_bytes;
    int w = c->width[slot] * 2;
    if (w < need) w = need;
    if (w > 32) w = 32;
    for (int32_t s = c->place_lo[p]; s < c->place_hi[p]; s++)
        if (c->width[s] < w) c->width[s] = (uint8_t)w;
    if (layout(c) < 0) { free(oldw); free(oldf); return -1; }
    /* re-encode every kept record */
    uint64_t *tmpold = (uint64_t *)calloc((size_t)onwords, sizeof(uint64_t));
    uint64_t *tmpnew = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    uint8_t **nchunks = (uint8_t **)calloc((size_t)(c->chunks_cap ? c->chunks_cap : 1), sizeof(uint8_t *));
    if (!tmpold || !tmpnew || !nchunks) {
        free(tmpold); free(tmpnew); free(nchunks); free(oldw); free(oldf); PyErr_NoMemory(); return -1;
    }
    int failed = 0;
    for (uint64_t k = c->freed_chunks; k < c->nchunks; k++) {
        nchunks[k] = (uint8_t *)malloc(CHUNK * (uint64_t)c->rec_bytes + 8);
        if (!nchunks[k]) { failed = 1; break; }
        uint64_t first = k << CHUNK_BITS;
        uint64_t last = first + CHUNK;
        if (last > c->nstates) last = c->nstates;
        for (uint64_t s = first; s < last; s++) {
            memset(tmpold, 0, sizeof(uint64_t) * (size_t)onwords);
            memcpy(tmpold, c->chunks[k] + (s - first) * (uint64_t)orec, (size_t)orec);
            memset(tmpnew, 0, sizeof(uint64_t) * (size_t)c->nwords);
            for (int32_t i = 0; i < c->nslots; i++) {
                uint64_t v = (tmpold[oldf[i].word] >> oldf[i].shift) & oldf[i].mask;
                if (v) put(c, tmpnew, i, v);
            }
            memcpy(nchunks[k] + (s - first) * (uint64_t)c->rec_bytes, tmpnew, (size_t)c->rec_bytes);
        }
    }
    if (failed) {
        for (uint64_t k = c->freed_chunks; k < c->nchunks; k++) free(nchunks[k]);
        free(nchunks); free(tmpold); free(tmpnew);
        memcpy(c->width, oldw, (size_t)c->nslots);
        memcpy(c->field, oldf, sizeof(Field) * (size_t)c->nslots);
        c->nwords = onwords; c->rec_bytes = orec;
        free(oldw); free(oldf);
        PyErr_NoMemory();
        return -1;
    }
    /* the root record (compact mode) */
    if (c->root) {
        uint64_t *nroot = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
        if (!nroot) { failed = 1; }
        else {
            for (int32_t i = 0; i < c->nslots; i++) {
                uint64_t v = (c->root[oldf[i].word] >> oldf[i].shift) & oldf[i].mask;
                if (v) put(c, nroot, i, v);
            }
            free(c->root);
            c->root = nroot;
        }
    }
    for (uint64_t k = c->freed_chunks; k < c->nchunks; k++) {
        free(c->chunks[k]);
        c->chunks[k] = nchunks[k];
    }
    free(nchunks);
    free(tmpold);
    free(tmpnew);
    free(oldw);
    free(oldf);
    /* scratch buffers */
    uint64_t *a = (uint64_t *)xrealloc(c->cur, sizeof(uint64_t) * (size_t)c->nwords);
    if (!a) return -1;
    c->cur = a;
    a = (uint64_t *)xrealloc(c->nw, sizeof(uint64_t) * (size_t)c->nwords);
    if (!a) return -1;
    c->nw = a;
    a = (uint64_t *)xrealloc(c->tmp, sizeof(uint64_t) * (size_t)c->nwords);
    if (!a) return -1;
    c->tmp = a;
    c->sbuf_cap = 0;              /* successor buffers are re-sized for the new width */
    if (!c->compact) {
        /* word hashes changed: rebuild the table */
        memset(c->tags, 0, (size_t)c->cap);
        for (uint64_t s = 0; s < c->nstates; s++) {
            load(c, s, c->tmp);
            uint64_t m = word_hash(c, c->tmp);
            uint64_t pos = m & c->mask;
            while (c->tags[pos]) pos = (pos + 1) & c->mask;
            c->tags[pos] = tag_of(m);
            c->table[pos] = (uint32_t)s;
        }
    }
    c->widenings++;
    if (failed) { PyErr_NoMemory(); return -1; }
    return 0;
}

/* ------------------------------------------------------------ markings */

static PyObject *decode(Core *c, const uint64_t *rec) {
    PyObject *out = PyTuple_New(c->nplaces);
    if (!out) return NULL;
    for (int32_t p = 0; p < c->nplaces; p++) {
        Py_ssize_t n = 0;
        for (int32_t s = c->place_lo[p]; s < c->place_hi[p]; s++)
            if (get(c, rec, s)) n++;
        PyObject *ms = PyTuple_New(n);
        if (!ms) { Py_DECREF(out); return NULL; }
        Py_ssize_t i = 0;
        for (int32_t s = c->place_lo[p]; s < c->place_hi[p]; s++) {
            uint64_t v = get(c, rec, s);
            if (!v) continue;
            PyObject *val = PyList_GET_ITEM(c->slot_values, s);
            PyObject *cnt = PyLong_FromUnsignedLongLong(v);
            if (!cnt) { Py_DECREF(ms); Py_DECREF(out); return NULL; }
            PyObject *pair = PyTuple_New(2);
            if (!pair) { Py_DECREF(cnt); Py_DECREF(ms); Py_DECREF(out); return NULL; }
            Py_INCREF(val);
            PyTuple_SET_ITEM(pair, 0, val);
            PyTuple_SET_ITEM(pair, 1, cnt);
            PyTuple_SET_ITEM(ms, i++, pair);
        }
        PyTuple_SET_ITEM(out, p, ms);
    }
    return out;
}

/* ------------------------------------------------------------ enabling */

static inline int trap_holds(const Core *c, const uint32_t *cnt, const int32_t *tr) {
    int32_t n = *tr++;
    for (int32_t i = 0; i < n; i++, tr += 2)
        if (cnt[tr[0]] < (uint32_t)tr[1]) return 0;
    n = *tr++;
    for (int32_t i = 0; i < n; i++, tr++)
        if (cnt[tr[0]] != 0) return 0;
    n = *tr++;
    for (int32_t i = 0; i < n; i++, tr++) {
        int32_t p = tr[0], any = 0;
        for (int32_t s = c->place_lo[p]; s < c->place_hi[p]; s++)
            if (cnt[s]) { any = 1; break; }
        if (!any) return 0;
    }
    return 1;
}

static inline int bind_enabled(const uint32_t *cnt, const int32_t *b) {
    int32_t n = b[1];
    const int32_t *q = b + 2;
    for (int32_t i = 0; i < n; i++, q += 2)
        if (cnt[q[0]] < (uint32_t)q[1]) return 0;
    n = *q++;
    for (int32_t i = 0; i < n; i++, q++)
        if (cnt[q[0]]) return 0;
    return 1;
}

static inline void unpack_plain(const Core *c, const uint64_t *restrict rec, uint32_t *restrict cnt,
                                uint64_t *restrict nz) {
    const Field *restrict f = c->field;
    const int32_t n = c->nslots;
    if (c->all1 && c->mw) {
        /* a safe net: the record is the bit set of the marked slots */
        for (int32_t w = 0; w < c->mw; w++) nz[w] = rec[w];
        for (int32_t s = 0; s < n; s++) cnt[s] = (uint32_t)((rec[s >> 6] >> (s & 63)) & 1);
        return;
    }
    if (c->mw) {
        for (int32_t base = 0; base < n; base += 64) {
            int32_t end = base + 64 < n ? base + 64 : n;
            uint64_t bits = 0;
            for (int32_t s = base; s < end; s++) {
                uint32_t v = (uint32_t)((rec[f[s].word] >> f[s].shift) & f[s].mask);
                cnt[s] = v;
                bits |= (uint64_t)(v != 0) << (s - base);
            }
            nz[base >> 6] = bits;
        }
        return;
    }
    for (int32_t s = 0; s < n; s++) cnt[s] = (uint32_t)((rec[f[s].word] >> f[s].shift) & f[s].mask);
}

static inline int mask_enabled(const Core *c, const uint64_t *nz, int32_t u) {
    const uint64_t *m = c->bmask + (uint64_t)u * 2 * (uint64_t)c->mw;
    for (int32_t w = 0; w < c->mw; w++) {
        if ((nz[w] & m[w]) != m[w]) return 0;
        if (nz[w] & m[c->mw + w]) return 0;
    }
    return 1;
}


static int push_buf(Scratch *s, uint64_t n, int32_t u) {
    if (n >= s->buf_cap) {
        uint64_t ncap = s->buf_cap ? s->buf_cap * 2 : 256;
        int32_t *p = (int32_t *)realloc(s->buf, sizeof(int32_t) * ncap);
        if (!p) return -1;             /* no Python error set: workers run without the GIL */
        s->buf = p;
        s->buf_cap = ncap;
    }
    s->buf[n] = u;
    return 0;
}

/*
 * Nets with many transitions: only those whose trigger place (the place of
 * their first input pattern, which every binding needs a token of) is
 * marked are looked at, in increasing order.
 */
static int32_t candidates(const Core *c, Scratch *sc) {
    const int32_t tw = c->twords;
    uint64_t *acc = sc->tacc;
    const uint32_t *cnt = sc->cnt;
    memcpy(acc, c->tbits + (uint64_t)c->nplaces * tw, sizeof(uint64_t) * (size_t)tw);  /* always looked at */
    if (c->mw) {
        /* the non-zero counters are a bit set already: visit only those */
        for (int32_t w = 0; w < c->mw; w++) {
            uint64_t x = sc->nz[w];
            while (x) {
                int32_t p = c->slot_place[w * 64 + __builtin_ctzll(x)];
                x &= x - 1;
                if (!c->ptrig_any[p]) continue;
                const uint64_t *b = c->tbits + (uint64_t)p * tw;
                for (int32_t k = 0; k < tw; k++) acc[k] |= b[k];
            }
        }
    } else {
        for (int32_t p = 0; p < c->nplaces; p++) {
            if (!c->ptrig_any[p]) continue;
            int marked = 0;
            for (int32_t s = c->place_lo[p]; s < c->place_hi[p]; s++)
                if (cnt[s]) { marked = 1; break; }
            if (!marked) continue;
            const uint64_t *b = c->tbits + (uint64_t)p * tw;
            for (int32_t w = 0; w < tw; w++) acc[w] |= b[w];
        }
    }
    int32_t k = 0;
    int32_t *out = sc->cand;
    for (int32_t w = 0; w < tw; w++) {
        uint64_t x = acc[w];
        while (x) {
            out[k++] = w * 64 + __builtin_ctzll(x);
            x &= x - 1;
        }
    }
    return k;
}

/*
 * The enabled bindings of the marking in rec (counters unpacked in sc->cnt,
 * sc->nz), in canonical order, into sc->buf.  Returns their number; -1 with
 * a Python exception set; -2 out of memory (no exception set: py == 0);
 * -3 a trap holds and py == 0 (a worker thread: the main thread must expand
 * this state).  With py, if the Python code reported a model error, *err
 * receives it (a new reference) and the bindings before it are listed.
 */
static int64_t enabled(Core *c, Scratch *sc, const uint64_t *rec, PyObject **err, int py) {
    const uint32_t *cnt = sc->cnt;
    const uint64_t *nz = sc->nz;
    uint64_t n = 0;
    if (err) *err = NULL;
    int32_t ncand = c->ntrans;
    const int32_t *cand = NULL;
    if (c->tbits) {
        ncand = candidates(c, sc);
        cand = sc->cand;
    }
    for (int32_t ci = 0; ci < ncand; ci++) {
        int32_t t = cand ? cand[ci] : ci;
        const int32_t one = c->single[t];
        if (one >= 0) {
            /* a transition with a single binding and no trap (every P/T transition) */
            int ok;
            if (c->mw) ok = mask_enabled(c, nz, one) && (c->bsimple[one] || bind_enabled(cnt, c->bind + c->bind_off[one]));
            else ok = bind_enabled(cnt, c->bind + c->bind_off[one]);
            if (ok && push_buf(sc, n++, one) < 0) {
                if (!py) return -2;
                PyErr_NoMemory();
                return -1;
            }
            continue;
        }
        const uint64_t n_start = n;
        const int32_t *prog = c->prog;
        int32_t pc = c->prog_start[t];
        for (;;) {
            int32_t op = prog[pc];
            if (op == OP_TEST) {
                if (cnt[prog[pc + 1]]) pc += 3;
                else pc = prog[pc + 2];
            } else if (op == OP_BIND) {
                int32_t u = prog[pc + 1];
                int ok;
                if (c->mw) ok = mask_enabled(c, nz, u) && (c->bsimple[u] || bind_enabled(cnt, c->bind + c->bind_off[u]));
                else ok = bind_enabled(cnt, c->bind + c->bind_off[u]);
                if (ok) {
                    if (push_buf(sc, n++, u) < 0) {
                        if (!py) return -2;
                        PyErr_NoMemory();
                        return -1;
                    }
                }
                pc += 2;
            } else if (op == OP_TRAP) {
                if (!trap_holds(c, cnt, c->trap + c->trap_off[prog[pc + 1]])) { pc += 2; continue; }
                if (!py) return -3;
                /* the Python code might fail here: it decides for the whole transition */
                n = n_start;
                PyObject *marking = decode(c, rec);
                if (!marking) return -1;
                PyObject *res = PyObject_CallFunction(c->delegate, "iO", t, marking);
                Py_DECREF(marking);
                if (!res) return -1;
                PyObject *lst, *e;
                if (!PyArg_ParseTuple(res, "OO", &lst, &e)) { Py_DECREF(res); return -1; }
                PyObject *seq = PySequence_Fast(lst, "delegate must return a list");
                if (!seq) { Py_DECREF(res); return -1; }
                Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
                for (Py_ssize_t i = 0; i < k; i++) {
                    long u = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
                    if (u == -1 && PyErr_Occurred()) { Py_DECREF(seq); Py_DECREF(res); return -1; }
                    if (u < 0 || u >= c->nbind) {
                        PyErr_SetString(PyExc_RuntimeError, "delegate returned an unknown binding");
                        Py_DECREF(seq); Py_DECREF(res); return -1;
                    }
                    if (push_buf(sc, n++, (int32_t)u) < 0) {
                        PyErr_NoMemory(); Py_DECREF(seq); Py_DECREF(res); return -1;
                    }
                }
                Py_DECREF(seq);
                if (e != Py_None) {
                    Py_INCREF(e);
                    *err = e;
                    Py_DECREF(res);
                    return (int64_t)n;
                }
                Py_DECREF(res);
                break;
            } else {
                break;
            }
        }
    }
    return (int64_t)n;
}


/*
 * Fire binding u on rec (hash h) into nw; returns the new hash in *hout.
 * Returns 0, or 1 when a counter overflows its field (slot/value in *oslot,
 * *oval), or 2 when it leaves 32 bits.
 */
static inline int fire(const Core *c, const uint64_t *rec, const uint32_t *cnt, uint64_t h, const int32_t *b,
                       uint64_t *nw, uint64_t *hout, int32_t *oslot, uint64_t *oval) {
    if (c->nwords == 1) nw[0] = rec[0];           /* no call to memcpy for one word */
    else memcpy(nw, rec, sizeof(uint64_t) * (size_t)c->nwords);
    const int32_t *q = b + 2 + 2 * b[1];
    q += 1 + q[0];
    int32_t n = *q++;
    for (int32_t i = 0; i < n; i++, q += 2) {
        int32_t s = q[0];
        int64_t d = q[1];
        uint64_t v = (uint64_t)((int64_t)cnt[s] + d);
        if (v > c->field[s].mask) {
            *oslot = s;
            *oval = v;
            return v > 0xFFFFFFFFULL ? 2 : 1;
        }
        put(c, nw, s, v);
        h += (uint64_t)d * c->R[s];
    }
    *hout = h;
    return 0;
}

static uint64_t place_total(const Core *c, const uint64_t *rec, int32_t p) {
    uint64_t t = 0;
    for (int32_t s = c->place_lo[p]; s < c->place_hi[p]; s++) t += get(c, rec, s);
    return t;
}

static void release_chunks(Core *c) {
    /* compact mode: drop chunks wholly behind the queue head */
    while (c->freed_chunks + 1 <= (c->head >> CHUNK_BITS) && c->freed_chunks < c->nchunks) {
        free(c->chunks[c->freed_chunks]);
        c->chunks[c->freed_chunks] = NULL;
        c->freed_chunks++;
    }
}

/* ------------------------------------------------------------ the search */

static int grow_scratch(Core *c, uint64_t n) {
    if (n <= c->sbuf_cap) return 0;
    uint64_t ncap = c->sbuf_cap ? c->sbuf_cap : 64;
    while (ncap < n) ncap *= 2;
    uint64_t *a = (uint64_t *)xrealloc(c->sbuf, sizeof(uint64_t) * (size_t)c->nwords * ncap);
    if (!a) return -1;
    c->sbuf = a;
    a = (uint64_t *)xrealloc(c->shash, sizeof(uint64_t) * ncap);
    if (!a) return -1;
    c->shash = a;
    c->sbuf_cap = ncap;
    return 0;
}

/* a worker found the successor's fingerprint in the table (compact mode: no state number) */
#define KNOWN_FP 0xFFFFFFFEu

/*
 * Record the n successors of state `head`, in order: bindings binds[i],
 * records sbuf (nwords each), hashes shash, and known[i], the state a
 * worker already found in the table (NONE32: look it up; known may be
 * NULL).  Counts edges, adds the new states, updates bounds, successor
 * lists and dead markings, and moves the queue head.  err: the model error
 * the expansion met, if any (consumed).  Returns 0 to go on, 1 when the
 * search stopped (status set), -1 on a Python error.
 */
/* the state at the queue head has all its n successors recorded: end its
   successor list, note it if dead, and move the head on (both the sequential
   and the parallel commit end here) */
static int close_state(Core *c, uint64_t head, int64_t n) {
    if (c->keep) {
        if (grow_u64(&c->succ_off, &c->succ_off_cap, head + 2) < 0) return -1;
        c->succ_off[head + 1] = c->nsucc;
    }
    if (n == 0) {
        if (grow_u32(&c->dead, &c->dead_cap, c->ndead + 1) < 0) return -1;
        c->dead[c->ndead++] = (uint32_t)head;
    }
    c->head = head + 1;
    if (c->compact) release_chunks(c);
    return 0;
}

static int commit(Core *c, uint64_t head, int64_t n, const int32_t *binds, const uint64_t *sbuf,
                  const uint64_t *shash, const uint32_t *known, PyObject *err) {
    const int32_t nwords = c->nwords;
    uint64_t succ_start = c->nsucc;
    for (int64_t i = 0; i < n; i++) {
        int32_t u = binds[i];
        const int32_t *b = c->bind + c->bind_off[u];
        c->fired[b[0]] = 1;
        c->edges++;
        uint32_t target = known ? known[i] : NONE32;
        if (target == KNOWN_FP) {
            target = NONE32;          /* compact mode: successors are not kept */
        } else if (target == NONE32) {
            if (known) c->par_lookups++;
            const uint64_t *nw = sbuf + (uint64_t)i * nwords;
            uint64_t h2 = shash[i];
            uint64_t pos = 0;
            int found;
            if (c->compact) {
                /* the table holds fingerprints only: no state number (successors are not kept) */
                found = lookup_compact(c, fingerprint(h2), &pos);
            } else {
                target = lookup_exact(c, nw, h2, &pos);
                found = target != NONE32;
            }
            if (!found) {
                if (c->nstates >= c->limit) {
                    c->status = ST_LIMIT;
                    c->nsucc = succ_start;
                    Py_XDECREF(err);
                    return 1;
                }
                target = (uint32_t)c->nstates;
                if (add_state(c, nw, h2, pos, (uint32_t)head) < 0) { Py_XDECREF(err); return -1; }
                /* bounds */
                const int32_t *q = b + 2 + 2 * b[1];
                q += 1 + q[0];
                q += 1 + 2 * q[0];
                int32_t ng = *q++;
                for (int32_t k = 0; k < ng; k++, q += 2) {
                    int32_t p = q[0];
                    uint64_t tot = place_total(c, nw, p);
                    if (tot > c->bounds[p]) c->bounds[p] = tot;
                }
            }
        }
        if (c->keep) {
            if (grow_u64(&c->succ, &c->succ_cap, c->nsucc + 1) < 0) { Py_XDECREF(err); return -1; }
            c->succ[c->nsucc++] = ((uint64_t)target << 32) | (uint32_t)u;
        }
    }
    if (err) {
        Py_XSETREF(c->error, err);
        c->status = ST_ERROR;
        return 1;
    }
    return close_state(c, head, n);
}

/* expand the state at the queue head on the calling thread (which holds the
   GIL): 0 to go on, 1 when the search stopped (status set), -1 on a Python error */
static int expand_head(Core *c) {
    uint64_t head = c->head;
restart:
    load(c, head, c->cur);
    uint64_t h = 0;
    unpack_plain(c, c->cur, c->ms.cnt, c->ms.nz);
    if (c->compact) h = full_hash(c, c->cur);
    PyObject *err = NULL;
    int64_t n = enabled(c, &c->ms, c->cur, &err, 1);
    if (n < 0) return -1;
    if (grow_scratch(c, (uint64_t)n) < 0) { Py_XDECREF(err); return -1; }
    const int32_t nwords = c->nwords;
    /* phase 1: every successor and its hash; prefetch its bucket */
    for (int64_t i = 0; i < n; i++) {
        const int32_t *b = c->bind + c->bind_off[c->ms.buf[i]];
        int32_t oslot;
        uint64_t oval, h2;
        int r = fire(c, c->cur, c->ms.cnt, h, b, c->sbuf + (uint64_t)i * nwords, &h2, &oslot, &oval);
        if (r == 2) {
            Py_XDECREF(err);
            PyErr_SetString(PyExc_OverflowError, "a place holds more than 2^32-1 tokens of one colour");
            return -1;
        }
        if (r == 1) {
            /* widen every record, then expand this state again */
            Py_XDECREF(err);
            if (widen(c, oslot, oval) < 0) return -1;
            goto restart;
        }
        if (c->compact) {
            c->shash[i] = h2;
            __builtin_prefetch(&c->fptable[fmix64(fingerprint(h2)) & c->mask]);
        } else {
            uint64_t m = word_hash(c, c->sbuf + (uint64_t)i * nwords);
            c->shash[i] = m;
            __builtin_prefetch(&c->tags[m & c->mask]);
            __builtin_prefetch(&c->table[m & c->mask]);
        }
    }
    if (!c->compact) {
        /* phase 1b: prefetch the record a matching tag points to */
        for (int64_t i = 0; i < n; i++) {
            uint64_t m = c->shash[i];
            uint64_t pos = m & c->mask;
            if (c->tags[pos] == tag_of(m)) __builtin_prefetch(record(c, c->table[pos]));
        }
    }
    /* phase 2: look them up in order */
    return commit(c, head, n, c->ms.buf, c->sbuf, c->shash, NULL, err);
}

/* ------------------------------------------------------------ parallel search
 *
 * With workers > 1, run() expands the queue in batches of up to PAR_BATCH
 * states, in three steps (the GIL is released in the first two; the
 * calling thread is one of the workers):
 *
 * 1. expand (parallel): each state's enabled bindings, its successors and
 *    their hashes, and a look-up of each successor in the table as it stood
 *    when the batch began (nothing shared is written);
 * 2. deduplicate (parallel): the successors not found are split by hash
 *    among the workers, and each worker scans its share in queue order
 *    (state by state, binding by binding), marking every successor with the
 *    first occurrence of its marking in the batch;
 * 3. commit (calling thread): the states one by one in queue order; a first
 *    occurrence becomes a new state (its number is the next one, as in the
 *    sequential search), a later occurrence takes the number of the first.
 *
 * New states therefore get the numbers the sequential search gives them, and
 * every result (numbering, parents, edges, dead markings, successor lists,
 * errors, where a limit stops) is the same.  A state whose trap holds
 * (Python must decide), whose firing overflows a counter, or for which a
 * worker ran out of memory is expanded in step 3 by the sequential code; the
 * successors committed after it are then looked up in the table again, and
 * after a widening the rest of the batch is computed again.
 */

#define PAR_MIN 256          /* a shorter queue is expanded on the calling thread (default) */
#define PAR_BATCH 16384      /* states per parallel step (default) */
#define PAR_BLOCK 64         /* states a worker takes at a time */
#define PAR_AHEAD 4          /* the commit prefetches the buckets of the state this far ahead */
#define REF_SHIFT 48         /* a successor in a batch: (worker << REF_SHIFT) | index in its arena */

typedef struct Pool Pool;

typedef struct {
    Pool *pool;
    int index;
    Scratch s;
    pthread_t tid;
    double cpu;                   /* CPU seconds spent expanding and deduplicating */
    uint64_t pcount[256];         /* successors not found, per partition */
    uint64_t *dkey, *dref;        /* step 2: this worker's partition (hash, successor + 1) */
    uint64_t dcap;
} Worker;

struct Pool {
    Core *c;
    int nworkers;                 /* including the calling thread */
    int started;                  /* helper threads running */
    int nparts;                   /* partitions of step 2: the threads running */
    Worker *w;
    pthread_mutex_t mu;
    pthread_cond_t go, fin;
    uint64_t gen;                 /* step number (helpers wait for it to change) */
    int phase;                    /* 0: expand, 1: deduplicate */
    int finished;
    int quit;
    uint64_t first, count;        /* the batch: states first .. first + count - 1 */
    uint64_t next;                /* next block to take (atomic) */
    uint64_t block;               /* states a worker takes at a time */
    uint8_t *st_worker, *st_ok;
    uint64_t *st_off, *st_uoff;
    uint32_t *st_n, *st_un;
};

static int grow_arr(void **a, uint64_t ncap, size_t item) {
    void *p = realloc(*a, item * (size_t)(ncap ? ncap : 1));
    if (!p) return -1;
    *a = p;
    return 0;
}

/* room for n more edges, n more successors not found, and n successors of one state */
static int ensure_out(Scratch *s, uint64_t n, int32_t nwords) {
    if (s->on + n > s->ocap) {
        uint64_t ncap = s->ocap ? s->ocap * 2 : 4096;
        while (ncap < s->on + n) ncap *= 2;
        if (grow_arr((void **)&s->otarget, ncap, sizeof(uint32_t)) < 0) return -1;
        if (grow_arr((void **)&s->obind, ncap, sizeof(int32_t)) < 0) return -1;
        s->ocap = ncap;
    }
    if (s->un + n > s->ucap || s->uwords != nwords) {
        uint64_t ncap = s->ucap ? s->ucap : 1024;
        while (ncap < s->un + n) ncap *= 2;
        if (grow_arr((void **)&s->urec, ncap * (uint64_t)nwords, sizeof(uint64_t)) < 0) return -1;
        if (grow_arr((void **)&s->uhash, ncap, sizeof(uint64_t)) < 0) return -1;
        if (grow_arr((void **)&s->ufirst, ncap, sizeof(uint64_t)) < 0) return -1;
        if (grow_arr((void **)&s->utarget, ncap, sizeof(uint32_t)) < 0) return -1;
        s->ucap = ncap;
        s->uwords = nwords;
    }
    if (n > s->tcap || s->twords != nwords) {
        uint64_t ncap = s->tcap ? s->tcap : 64;
        while (ncap < n) ncap *= 2;
        if (grow_arr((void **)&s->trec, ncap * (uint64_t)nwords, sizeof(uint64_t)) < 0) return -1;
        if (grow_arr((void **)&s->thash, ncap, sizeof(uint64_t)) < 0) return -1;
        s->tcap = ncap;
        s->twords = nwords;
    }
    return 0;
}

/* the key of a successor in step 2 (a bijection of the fingerprint in compact mode) */
static inline uint64_t dedup_key(const Core *c, uint64_t h) {
    return c->compact ? fmix64(fingerprint(h)) : h;
}

static inline int part_of(uint64_t key, int nparts) {
    return (int)(((key >> 32) * (uint64_t)nparts) >> 32);
}

/* step 1, one state: its successors into the worker's own arena */
static void gen_state(Pool *P, Worker *w, uint64_t i) {
    const Core *c = P->c;
    Scratch *s = &w->s;
    P->st_ok[i] = 0;
    P->st_worker[i] = (uint8_t)w->index;
    const int32_t nwords = c->nwords;
    load(c, P->first + i, s->cur);
    unpack_plain(c, s->cur, s->cnt, s->nz);
    uint64_t h = c->compact ? full_hash(c, s->cur) : 0;
    int64_t n = enabled((Core *)c, s, s->cur, NULL, 0);
    if (n < 0) return;                          /* a trap holds, or no memory: the calling thread expands it */
    if (ensure_out(s, (uint64_t)n, nwords) < 0) return;
    uint64_t *rec = s->trec;
    uint64_t *hash = s->thash;
    for (int64_t k = 0; k < n; k++) {
        int32_t oslot;
        uint64_t oval, h2;
        if (fire(c, s->cur, s->cnt, h, c->bind + c->bind_off[s->buf[k]], rec + (uint64_t)k * nwords, &h2,
                 &oslot, &oval))
            return;                             /* overflow: widening is the calling thread's */
        if (c->compact) {
            hash[k] = h2;
            __builtin_prefetch(&c->fptable[fmix64(fingerprint(h2)) & c->mask]);
        } else {
            uint64_t m = word_hash(c, rec + (uint64_t)k * nwords);
            hash[k] = m;
            __builtin_prefetch(&c->tags[m & c->mask]);
            __builtin_prefetch(&c->table[m & c->mask]);
        }
    }
    if (!c->compact) {
        for (int64_t k = 0; k < n; k++) {
            uint64_t pos = hash[k] & c->mask;
            if (c->tags[pos] == tag_of(hash[k])) __builtin_prefetch(record(c, c->table[pos]));
        }
    }
    const uint64_t off = s->on, uoff = s->un;
    uint64_t un = uoff;
    for (int64_t k = 0; k < n; k++) {
        uint64_t pos;
        uint32_t t;
        if (c->compact) t = lookup_compact(c, fingerprint(hash[k]), &pos) ? KNOWN_FP : NONE32;
        else t = lookup_exact(c, rec + (uint64_t)k * nwords, hash[k], &pos);
        s->otarget[off + k] = t;
        s->obind[off + k] = s->buf[k];
        if (t == NONE32) {
            /* kept for steps 2 and 3 */
            for (int32_t q = 0; q < nwords; q++) s->urec[un * (uint64_t)nwords + q] = rec[(uint64_t)k * nwords + q];
            s->uhash[un] = hash[k];
            w->pcount[part_of(dedup_key(c, hash[k]), P->nparts)]++;
            un++;
        }
    }
    s->on = off + (uint64_t)n;
    s->un = un;
    P->st_off[i] = off;
    P->st_n[i] = (uint32_t)n;
    P->st_uoff[i] = uoff;
    P->st_un[i] = (uint32_t)(un - uoff);
    P->st_ok[i] = 1;
}

static void expand_step(Pool *P, Worker *w) {
    w->s.on = 0;
    w->s.un = 0;
    memset(w->pcount, 0, sizeof(w->pcount));
    for (;;) {
        uint64_t b = __atomic_fetch_add(&P->next, P->block, __ATOMIC_RELAXED);
        if (b >= P->count) break;
        uint64_t e = b + P->block < P->count ? b + P->block : P->count;
        for (uint64_t i = b; i < e; i++) gen_state(P, w, i);
    }
}

/* step 2: this worker's partition of the successors not found, in queue order */
static void dedup_step(Pool *P, Worker *w) {
    const Core *c = P->c;
    const int32_t nwords = c->nwords;
    const int me = w->index;
    const uint64_t dmask = w->dcap - 1;
    memset(w->dref, 0, sizeof(uint64_t) * w->dcap);
    for (uint64_t i = 0; i < P->count; i++) {
        if (!P->st_ok[i]) continue;
        const int ow = P->st_worker[i];
        Scratch *s = &P->w[ow].s;
        const uint64_t uoff = P->st_uoff[i];
        const uint32_t un = P->st_un[i];
        for (uint32_t k = 0; k < un; k++) {
            const uint64_t j = uoff + k;
            const uint64_t key = dedup_key(c, s->uhash[j]);
            if (part_of(key, P->nparts) != me) continue;
            const uint64_t ref = ((uint64_t)ow << REF_SHIFT) | j;
            uint64_t pos = (key ^ (key >> 29)) & dmask;
            for (;;) {
                uint64_t r = w->dref[pos];
                if (r == 0) {
                    w->dref[pos] = ref + 1;
                    w->dkey[pos] = key;
                    s->ufirst[j] = ref;
                    break;
                }
                if (w->dkey[pos] == key) {
                    uint64_t other = r - 1;
                    const Scratch *so = &P->w[other >> REF_SHIFT].s;
                    uint64_t oj = other & (((uint64_t)1 << REF_SHIFT) - 1);
                    if (c->compact || memcmp(so->urec + oj * (uint64_t)nwords, s->urec + j * (uint64_t)nwords,
                                             sizeof(uint64_t) * (size_t)nwords) == 0) {
                        s->ufirst[j] = other;
                        break;
                    }
                }
                pos = (pos + 1) & dmask;
            }
        }
    }
}

static double thread_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void do_step(Pool *P, Worker *w, int phase) {
    double t0 = thread_cpu_s();
    if (phase == 0) expand_step(P, w);
    else dedup_step(P, w);
    w->cpu += thread_cpu_s() - t0;
}

static void *worker_main(void *arg) {
    Worker *w = (Worker *)arg;
    Pool *P = w->pool;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&P->mu);
        while (P->gen == seen) pthread_cond_wait(&P->go, &P->mu);
        seen = P->gen;
        int quit = P->quit, phase = P->phase;
        pthread_mutex_unlock(&P->mu);
        if (quit) break;
        do_step(P, w, phase);
        pthread_mutex_lock(&P->mu);
        P->finished++;
        pthread_cond_signal(&P->fin);
        pthread_mutex_unlock(&P->mu);
    }
    return NULL;
}

/* one step on every running thread (called without the GIL) */
static void pool_step(Pool *P, int phase) {
    pthread_mutex_lock(&P->mu);
    P->finished = 0;
    P->phase = phase;
    P->gen++;
    pthread_cond_broadcast(&P->go);
    pthread_mutex_unlock(&P->mu);
    do_step(P, &P->w[0], phase);
    pthread_mutex_lock(&P->mu);
    while (P->finished < P->started) pthread_cond_wait(&P->fin, &P->mu);
    pthread_mutex_unlock(&P->mu);
}

static int scratch_init(const Core *c, Scratch *s) {
    memset(s, 0, sizeof(*s));
    s->cnt = (uint32_t *)calloc((size_t)(c->nslots > 0 ? c->nslots : 1), sizeof(uint32_t));
    s->nz = (uint64_t *)calloc((size_t)(c->mw ? c->mw : 1), sizeof(uint64_t));
    s->cand = (int32_t *)calloc((size_t)(c->ntrans > 0 ? c->ntrans : 1), sizeof(int32_t));
    s->tacc = (uint64_t *)calloc((size_t)(c->twords > 0 ? c->twords : 1), sizeof(uint64_t));
    if (!s->cnt || !s->nz || !s->cand || !s->tacc) return -1;
    return 0;
}

static void scratch_free(Scratch *s) {
    free(s->cnt); free(s->nz); free(s->cand); free(s->tacc); free(s->buf); free(s->cur);
    free(s->otarget); free(s->obind); free(s->urec); free(s->uhash); free(s->ufirst); free(s->utarget);
    free(s->trec); free(s->thash);
    memset(s, 0, sizeof(*s));
}

static void pool_stop(Pool *P) {
    if (P->started) {
        pthread_mutex_lock(&P->mu);
        P->quit = 1;
        P->gen++;
        pthread_cond_broadcast(&P->go);
        pthread_mutex_unlock(&P->mu);
        for (int k = 1; k <= P->started; k++) pthread_join(P->w[k].tid, NULL);
    }
    if (P->w) {
        for (int k = 0; k < P->nworkers; k++) {
            P->c->par_cpu_s += P->w[k].cpu;
            scratch_free(&P->w[k].s);
            free(P->w[k].dkey);
            free(P->w[k].dref);
        }
    }
    free(P->w);
    free(P->st_worker); free(P->st_ok); free(P->st_off); free(P->st_n); free(P->st_uoff); free(P->st_un);
    pthread_mutex_destroy(&P->mu);
    pthread_cond_destroy(&P->go);
    pthread_cond_destroy(&P->fin);
}

/* the state number committed for a successor of the batch */
static inline uint32_t ref_target(const Pool *P, uint64_t ref) {
    return P->w[ref >> REF_SHIFT].s.utarget[ref & (((uint64_t)1 << REF_SHIFT) - 1)];
}

/*
 * Step 3 for batch state i (computed by a worker): commit()'s work, with the
 * look-ups done by the workers.  dirty: the sequential code expanded a state
 * of this batch before this one (it may have added states the workers did
 * not see): first occurrences are then looked up in the table again.
 */
static int commit_batch_state(Core *c, Pool *P, uint64_t i, int dirty) {
    const uint64_t head = c->head;
    const int ow = P->st_worker[i];
    Scratch *s = &P->w[ow].s;
    const uint64_t off = P->st_off[i];
    const uint32_t n = P->st_n[i];
    const int32_t nwords = c->nwords;
    uint64_t succ_start = c->nsucc;
    uint64_t j = P->st_uoff[i];                   /* the next successor not found */
    for (uint32_t k = 0; k < n; k++) {
        int32_t u = s->obind[off + k];
        const int32_t *b = c->bind + c->bind_off[u];
        c->fired[b[0]] = 1;
        c->edges++;
        uint32_t target = s->otarget[off + k];
        if (target == NONE32) {
            const uint64_t ref = ((uint64_t)ow << REF_SHIFT) | j;
            const uint64_t fr = s->ufirst[j];
            if (fr != ref) {
                target = ref_target(P, fr);       /* the first occurrence, committed before */
            } else {
                const uint64_t *nw = s->urec + j * (uint64_t)nwords;
                const uint64_t h2 = s->uhash[j];
                uint64_t pos = 0;
                int found = 0;
                c->par_lookups++;
                if (c->compact) {
                    found = lookup_compact(c, fingerprint(h2), &pos);
                    if (found) target = KNOWN_FP;
                } else if (dirty) {
                    target = lookup_exact(c, nw, h2, &pos);
                    found = target != NONE32;
                } else {
                    /* not in the table (step 1) nor earlier in the batch (step 2): a free bucket */
                    pos = h2 & c->mask;
                    while (c->tags[pos]) pos = (pos + 1) & c->mask;
                }
                if (!found) {
                    if (c->nstates >= c->limit) {
                        c->status = ST_LIMIT;
                        c->nsucc = succ_start;
                        return 1;
                    }
                    target = (uint32_t)c->nstates;
                    if (add_state(c, nw, h2, pos, (uint32_t)head) < 0) return -1;
                    const int32_t *q = b + 2 + 2 * b[1];
                    q += 1 + q[0];
                    q += 1 + 2 * q[0];
                    int32_t ng = *q++;
                    for (int32_t g = 0; g < ng; g++, q += 2) {
                        int32_t p = q[0];
                        uint64_t tot = place_total(c, nw, p);
                        if (tot > c->bounds[p]) c->bounds[p] = tot;
                    }
                    if (c->compact) target = KNOWN_FP;
                }
                s->utarget[j] = target;           /* for the later occurrences */
            }
            j++;
        }
        if (target == KNOWN_FP) target = NONE32;  /* compact mode: successors are not kept */
        if (c->keep) {
            if (grow_u64(&c->succ, &c->succ_cap, c->nsucc + 1) < 0) return -1;
            c->succ[c->nsucc++] = ((uint64_t)target << 32) | (uint32_t)u;
        }
    }
    return close_state(c, head, n);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int run_parallel(Core *c, uint64_t budget) {
    Pool P;
    memset(&P, 0, sizeof(P));
    P.c = c;
    P.nworkers = c->workers > 255 ? 255 : c->workers;
    pthread_mutex_init(&P.mu, NULL);
    pthread_cond_init(&P.go, NULL);
    pthread_cond_init(&P.fin, NULL);
    P.w = (Worker *)calloc((size_t)P.nworkers, sizeof(Worker));
    P.st_worker = (uint8_t *)malloc(c->par_batch);
    P.st_ok = (uint8_t *)malloc(c->par_batch);
    P.st_off = (uint64_t *)malloc(sizeof(uint64_t) * c->par_batch);
    P.st_n = (uint32_t *)malloc(sizeof(uint32_t) * c->par_batch);
    P.st_uoff = (uint64_t *)malloc(sizeof(uint64_t) * c->par_batch);
    P.st_un = (uint32_t *)malloc(sizeof(uint32_t) * c->par_batch);
    int failed = !P.w || !P.st_worker || !P.st_ok || !P.st_off || !P.st_n || !P.st_uoff || !P.st_un;
    for (int k = 0; !failed && k < P.nworkers; k++) {
        P.w[k].pool = &P;
        P.w[k].index = k;
        if (scratch_init(c, &P.w[k].s) < 0) failed = 1;
    }
    if (failed) { pool_stop(&P); PyErr_NoMemory(); return -1; }
    int threads_tried = 0;
    int result = 0;
    while (budget > 0) {
        if (c->head >= c->nstates) { c->status = ST_DONE; break; }
        uint64_t avail = c->nstates - c->head;
        if (avail >= c->par_min && !threads_tried) {
            /* start the helpers when the queue is first long enough (a small net never starts them) */
            threads_tried = 1;
            for (int k = 1; k < P.nworkers; k++) {
                if (pthread_create(&P.w[k].tid, NULL, worker_main, &P.w[k]) != 0) break;
                P.started = k;
            }
            P.nparts = P.started + 1;
        }
        if (avail < c->par_min || !P.started) {
            int r = expand_head(c);
            budget--;
            if (r < 0) { result = -1; break; }
            if (r > 0) break;
            continue;
        }
        uint64_t count = avail < budget ? avail : budget;
        if (count > c->par_batch) count = c->par_batch;
        int nomem = 0;
        for (int k = 0; k <= P.started; k++) {
            Scratch *s = &P.w[k].s;
            if (s->cur_words != c->nwords) {
                uint64_t *a = (uint64_t *)realloc(s->cur, sizeof(uint64_t) * (size_t)c->nwords);
                if (!a) { nomem = 1; break; }
                s->cur = a;
                s->cur_words = c->nwords;
            }
        }
        if (nomem) { PyErr_NoMemory(); result = -1; break; }
        P.first = c->head;
        P.count = count;
        P.next = 0;
        P.block = count / (4 * (uint64_t)P.nparts);   /* small batches: blocks of one state */
        if (P.block > PAR_BLOCK) P.block = PAR_BLOCK;
        if (P.block < 1) P.block = 1;
        double t0 = now_s();
        Py_BEGIN_ALLOW_THREADS
        pool_step(&P, 0);
        Py_END_ALLOW_THREADS
        /* step 2's tables: at most half full */
        for (int k = 0; k <= P.started && !nomem; k++) {
            uint64_t need = 0;
            for (int w = 0; w <= P.started; w++) need += P.w[w].pcount[k];
            uint64_t cap = 64;
            while (cap < 2 * need) cap *= 2;
            Worker *W = &P.w[k];
            if (cap > W->dcap) {
                uint64_t *a = (uint64_t *)realloc(W->dkey, sizeof(uint64_t) * cap);
                if (a) W->dkey = a;
                uint64_t *r = a ? (uint64_t *)realloc(W->dref, sizeof(uint64_t) * cap) : NULL;
                if (r) { W->dref = r; W->dcap = cap; }
                else nomem = 1;
            }
        }
        if (nomem) { PyErr_NoMemory(); result = -1; break; }
        Py_BEGIN_ALLOW_THREADS
        pool_step(&P, 1);
        Py_END_ALLOW_THREADS
        double t1 = now_s(), u1 = thread_cpu_s();
        c->par_batches++;
        /* step 3: commit in queue order */
        const uint64_t widenings = c->widenings;
        int r = 0, dirty = 0;
        for (uint64_t i = 0; i < count; i++) {
            if (!c->compact && i + PAR_AHEAD < count && P.st_ok[i + PAR_AHEAD]) {
                /* the buckets the commit of a later state will look at */
                const Scratch *s = &P.w[P.st_worker[i + PAR_AHEAD]].s;
                uint64_t uoff = P.st_uoff[i + PAR_AHEAD];
                for (uint32_t k = 0; k < P.st_un[i + PAR_AHEAD]; k++) {
                    uint64_t m = s->uhash[uoff + k];
                    __builtin_prefetch(&c->tags[m & c->mask]);
                    __builtin_prefetch(&c->table[m & c->mask]);
                }
            }
            if (P.st_ok[i]) {
                r = commit_batch_state(c, &P, i, dirty);
                c->par_states++;
                if (P.st_worker[i]) c->par_helper++;
            } else {
                r = expand_head(c);
                dirty = 1;
                c->par_redone++;
            }
            budget--;
            if (r != 0) break;
            if (c->widenings != widenings) break;   /* records re-encoded: compute the rest again */
        }
        c->par_gen_s += t1 - t0;
        c->par_commit_s += now_s() - t1;
        c->par_commit_cpu_s += thread_cpu_s() - u1;
        if (r < 0) { result = -1; break; }
        if (r > 0) break;
    }
    pool_stop(&P);
    return result;
}

static PyObject *Core_run(Core *c, PyObject *args) {
    unsigned long long budget;
    if (!PyArg_ParseTuple(args, "K", &budget)) return NULL;
    if (c->status != ST_RUNNING) return PyLong_FromLong(c->status);
    if (c->workers > 1) {
        if (run_parallel(c, budget) < 0) return NULL;
    } else {
        while (budget-- > 0) {
            if (c->head >= c->nstates) { c->status = ST_DONE; break; }
            int r = expand_head(c);
            if (r < 0) return NULL;
            if (r > 0) break;
        }
    }
    if (c->status == ST_RUNNING && c->head >= c->nstates) c->status = ST_DONE;
    return PyLong_FromLong(c->status);
}

/* ------------------------------------------------------------ replay */

/* the record of state s into dst (compact mode: replay from the root) */
static int state_record(Core *c, uint64_t s, uint64_t *dst);

/* successor of rec by binding u, or -1 if u is not enabled (no model errors here) */
static int successor_of(Core *c, const uint64_t *rec, const uint32_t *cnt, uint64_t h, int32_t u, uint64_t *out,
                        uint64_t *hout) {
    int32_t oslot;
    uint64_t oval;
    int r = fire(c, rec, cnt, h, c->bind + c->bind_off[u], out, hout, &oslot, &oval);
    if (r) {
        PyErr_SetString(PyExc_RuntimeError, "replay overflow");
        return -1;
    }
    return 0;
}

/* first binding from the marking in src_rec leading to hash fp (and record target if exact) */
static int64_t first_edge_rec(Core *c, const uint64_t *src, uint64_t fp, const uint8_t *target_rec,
                             uint64_t *out) {
    const uint32_t *cnt = c->ms.cnt;   /* enabled() leaves the counters alone */
    unpack_plain(c, src, c->ms.cnt, c->ms.nz);
    uint64_t h = full_hash(c, src);
    PyObject *err = NULL;
    int64_t n = enabled(c, &c->ms, src, &err, 1);
    if (n < 0) { return -2; }
    Py_XDECREF(err);
    /* enabled() writes into c->ms.buf: keep a copy */
    int32_t *bufcopy = (int32_t *)malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!bufcopy) { PyErr_NoMemory(); return -2; }
    if (n > 0) memcpy(bufcopy, c->ms.buf, sizeof(int32_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        uint64_t h2;
        if (successor_of(c, src, cnt, h, bufcopy[i], out, &h2) < 0) { free(bufcopy); return -2; }
        if (fingerprint(h2) != fp) continue;
        if (target_rec && memcmp(out, target_rec, (size_t)c->rec_bytes) != 0) continue;
        int64_t u = bufcopy[i];
        free(bufcopy);
        return u;
    }
    free(bufcopy);
    return -1;
}

#define RCACHE_BITS 18

/* compact mode: a direct-mapped cache of replayed records (a sequential scan
   of the states finds each parent there) */
static uint64_t *rcache_slot(Core *c, uint64_t s, int *hit) {
    if (!c->rkeys) {
        c->rkeys = (uint64_t *)calloc((size_t)1 << RCACHE_BITS, sizeof(uint64_t));
        c->rrecs = (uint64_t *)calloc(((size_t)1 << RCACHE_BITS) * (size_t)c->nwords, sizeof(uint64_t));
        c->rwords = c->nwords;
        if (!c->rkeys || !c->rrecs) {
            free(c->rkeys); free(c->rrecs); c->rkeys = NULL; c->rrecs = NULL;
            PyErr_NoMemory();
            return NULL;
        }
    }
    uint64_t i = (fmix64(s) >> 7) & (((uint64_t)1 << RCACHE_BITS) - 1);
    *hit = c->rkeys[i] == s + 1;
    return c->rrecs + i * (uint64_t)c->rwords;
}

static int state_record(Core *c, uint64_t s, uint64_t *dst) {
    if (has_record(c, s)) {
        load(c, s, dst);
        return 0;
    }
    if (c->rkeys && c->rwords != c->nwords) {  /* widened since: drop the cache */
        free(c->rkeys); free(c->rrecs); c->rkeys = NULL; c->rrecs = NULL;
    }
    int hit;
    uint64_t *slot = rcache_slot(c, s, &hit);
    if (!slot) return -1;
    if (hit) {
        memcpy(dst, slot, sizeof(uint64_t) * (size_t)c->nwords);
        return 0;
    }
    /* replay from the nearest ancestor whose record is known */
    uint64_t depth = 0;
    uint64_t x = s;
    for (;;) {
        if (x == 0 || has_record(c, x)) break;
        if (x != s) {
            uint64_t *sl = rcache_slot(c, x, &hit);
            if (!sl) return -1;
            if (hit) break;
        }
        x = c->parent[x];
        depth++;
    }
    uint64_t *chain = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(depth + 1));
    uint64_t *a = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    if (!chain || !a) { free(chain); free(a); PyErr_NoMemory(); return -1; }
    uint64_t k = depth;
    uint64_t y = s;
    while (y != x) { chain[--k] = y; y = c->parent[y]; }
    if (has_record(c, x)) load(c, x, dst);
    else if (x == 0) memcpy(dst, c->root, sizeof(uint64_t) * (size_t)c->nwords);
    else {
        uint64_t *sl = rcache_slot(c, x, &hit);
        memcpy(dst, sl, sizeof(uint64_t) * (size_t)c->nwords);
    }
    for (uint64_t i = 0; i < depth; i++) {
        int64_t u = first_edge_rec(c, dst, c->fps[chain[i]], NULL, a);
        if (u < 0) {
            free(chain); free(a);
            if (u == -1) PyErr_SetString(PyExc_RuntimeError, "cannot replay a compacted state");
            return -1;
        }
        memcpy(dst, a, sizeof(uint64_t) * (size_t)c->nwords);
        uint64_t *sl = rcache_slot(c, chain[i], &hit);
        if (sl) {
            memcpy(sl, dst, sizeof(uint64_t) * (size_t)c->nwords);
            c->rkeys[(fmix64(chain[i]) >> 7) & (((uint64_t)1 << RCACHE_BITS) - 1)] = chain[i] + 1;
        }
    }
    free(chain);
    free(a);
    return 0;
}

static int check_state(Core *c, unsigned long long s) {
    if (s >= c->nstates) {
        PyErr_SetString(PyExc_IndexError, "state out of range");
        return -1;
    }
    return 0;
}

static PyObject *Core_marking(Core *c, PyObject *args) {
    unsigned long long s;
    if (!PyArg_ParseTuple(args, "K", &s)) return NULL;
    if (check_state(c, s) < 0) return NULL;
    uint64_t *r = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    if (!r) return PyErr_NoMemory();
    if (state_record(c, s, r) < 0) { free(r); return NULL; }
    PyObject *m = decode(c, r);
    free(r);
    return m;
}

static PyObject *Core_counts(Core *c, PyObject *args) {
    unsigned long long s;
    if (!PyArg_ParseTuple(args, "K", &s)) return NULL;
    if (check_state(c, s) < 0) return NULL;
    uint64_t *r = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    if (!r) return PyErr_NoMemory();
    if (state_record(c, s, r) < 0) { free(r); return NULL; }
    PyObject *out = PyTuple_New(c->nslots);
    if (!out) { free(r); return NULL; }
    for (int32_t i = 0; i < c->nslots; i++) {
        PyObject *v = PyLong_FromUnsignedLongLong(get(c, r, i));
        if (!v) { free(r); Py_DECREF(out); return NULL; }
        PyTuple_SET_ITEM(out, i, v);
    }
    free(r);
    return out;
}

/* the first binding (canonical order) from src to dst, or -1 */
static PyObject *Core_first_edge(Core *c, PyObject *args) {
    unsigned long long src, dst;
    if (!PyArg_ParseTuple(args, "KK", &src, &dst)) return NULL;
    if (check_state(c, src) < 0 || check_state(c, dst) < 0) return NULL;
    uint64_t *a = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    uint64_t *b = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    uint64_t *o = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    if (!a || !b || !o) { free(a); free(b); free(o); return PyErr_NoMemory(); }
    int64_t u = -1;
    if (state_record(c, src, a) < 0) goto fail;
    uint64_t fp;
    if (c->compact) {
        fp = c->fps[dst];
        u = first_edge_rec(c, a, fp, NULL, o);
    } else {
        if (state_record(c, dst, b) < 0) goto fail;
        fp = fingerprint(full_hash(c, b));
        u = first_edge_rec(c, a, fp, (const uint8_t *)b, o);
    }
    if (u == -2) goto fail;
    free(a); free(b); free(o);
    return PyLong_FromLongLong(u);
fail:
    free(a); free(b); free(o);
    return NULL;
}

/* the state number of a counter vector, or -1 (exact mode) */
static PyObject *Core_lookup(Core *c, PyObject *args) {
    PyObject *seq;
    if (!PyArg_ParseTuple(args, "O", &seq)) return NULL;
    PyObject *fast = PySequence_Fast(seq, "counts must be a sequence");
    if (!fast) return NULL;
    if (PySequence_Fast_GET_SIZE(fast) != c->nslots) {
        Py_DECREF(fast);
        return PyLong_FromLong(-1);
    }
    uint64_t *r = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    if (!r) { Py_DECREF(fast); return PyErr_NoMemory(); }
    for (int32_t i = 0; i < c->nslots; i++) {
        unsigned long long v = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(fast, i));
        if (PyErr_Occurred()) { free(r); Py_DECREF(fast); return NULL; }
        if (v > c->field[i].mask) { free(r); Py_DECREF(fast); return PyLong_FromLong(-1); }
        put(c, r, i, v);
    }
    Py_DECREF(fast);
    uint64_t pos;
    long long result = -1;
    if (c->compact) {
        /* the table holds no state numbers: scan the fingerprints (slow, for occasional use) */
        uint64_t fp = fingerprint(full_hash(c, r));
        free(r);
        for (uint64_t s = 0; s < c->nstates; s++)
            if (c->fps[s] == fp) return PyLong_FromUnsignedLongLong(s);
        return PyLong_FromLong(-1);
    }
    uint64_t h = word_hash(c, r);
    uint32_t s = lookup_exact(c, r, h, &pos);
    if (s != NONE32) result = s;
    free(r);
    return PyLong_FromLongLong(result);
}

static PyObject *Core_successors(Core *c, PyObject *args) {
    unsigned long long s;
    if (!PyArg_ParseTuple(args, "K", &s)) return NULL;
    if (!c->keep || s >= c->head) {
        PyErr_SetString(PyExc_IndexError, "no successors kept for this state");
        return NULL;
    }
    uint64_t lo = c->succ_off[s], hi = c->succ_off[s + 1];
    PyObject *out = PyList_New((Py_ssize_t)(hi - lo));
    if (!out) return NULL;
    for (uint64_t i = lo; i < hi; i++) {
        PyObject *pair = Py_BuildValue("(kk)", (unsigned long)(c->succ[i] >> 32),
                                       (unsigned long)(c->succ[i] & 0xFFFFFFFFu));
        if (!pair) { Py_DECREF(out); return NULL; }
        PyList_SET_ITEM(out, (Py_ssize_t)(i - lo), pair);
    }
    return out;
}

static PyObject *Core_parent(Core *c, PyObject *args) {
    unsigned long long s;
    if (!PyArg_ParseTuple(args, "K", &s)) return NULL;
    if (check_state(c, s) < 0) return NULL;
    return PyLong_FromUnsignedLong(c->parent[s]);
}

static PyObject *Core_dead(Core *c, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyList_New((Py_ssize_t)c->ndead);
    if (!out) return NULL;
    for (uint64_t i = 0; i < c->ndead; i++) {
        PyObject *v = PyLong_FromUnsignedLong(c->dead[i]);
        if (!v) { Py_DECREF(out); return NULL; }
        PyList_SET_ITEM(out, (Py_ssize_t)i, v);
    }
    return out;
}

static PyObject *Core_bounds(Core *c, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyList_New(c->nplaces);
    if (!out) return NULL;
    for (int32_t p = 0; p < c->nplaces; p++) {
        PyObject *v = PyLong_FromUnsignedLongLong(c->bounds[p]);
        if (!v) { Py_DECREF(out); return NULL; }
        PyList_SET_ITEM(out, p, v);
    }
    return out;
}

static PyObject *Core_fired(Core *c, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyList_New(c->ntrans);
    if (!out) return NULL;
    for (int32_t t = 0; t < c->ntrans; t++) {
        PyObject *v = c->fired[t] ? Py_True : Py_False;
        Py_INCREF(v);
        PyList_SET_ITEM(out, t, v);
    }
    return out;
}

static uint64_t memory_bytes(const Core *c) {
    uint64_t m = 0;
    /* records in use (a chunk's unused tail, at most CHUNK records, is not counted) */
    uint64_t first = c->freed_chunks << CHUNK_BITS;
    m += (c->nstates > first ? c->nstates - first : 0) * (uint64_t)c->rec_bytes;
    m += c->chunks_cap * sizeof(uint8_t *);
    m += c->parent_cap * sizeof(uint32_t);
    if (c->compact) m += c->cap * sizeof(uint64_t) + c->fps_cap * sizeof(uint64_t);
    else m += c->cap * (sizeof(uint32_t) + 1);
    m += c->dead_cap * sizeof(uint32_t);
    if (c->keep) m += c->succ_off_cap * sizeof(uint64_t) + c->succ_cap * sizeof(uint64_t);
    return m;
}

/* bytes per state, counting what a state space of this size needs: the
   records actually used (not the chunk slack), the table and the per-state
   arrays at their current capacity */
static PyObject *Core_memory(Core *c, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromUnsignedLongLong(memory_bytes(c));
}

static PyObject *Core_stats(Core *c, PyObject *Py_UNUSED(ignored)) {
    uint64_t kept = c->nstates;
    if (c->compact) kept = c->nstates - (c->freed_chunks << CHUNK_BITS < c->nstates ? c->freed_chunks << CHUNK_BITS : c->nstates);
    return Py_BuildValue("{s:K,s:K,s:K,s:K,s:i,s:i,s:K,s:K,s:K,s:i,s:K,s:K,s:K,s:K,s:d,s:d,s:d,s:K,s:d}",
                         "states", (unsigned long long)c->nstates,
                         "expanded", (unsigned long long)c->head,
                         "edges", (unsigned long long)c->edges,
                         "table_capacity", (unsigned long long)c->cap,
                         "record_bytes", c->rec_bytes,
                         "words", c->nwords,
                         "widenings", (unsigned long long)c->widenings,
                         "records_kept", (unsigned long long)kept,
                         "memory", (unsigned long long)memory_bytes(c),
                         "workers", c->workers,
                         "parallel_batches", (unsigned long long)c->par_batches,
                         "parallel_states", (unsigned long long)c->par_states,
                         "parallel_helper_states", (unsigned long long)c->par_helper,
                         "parallel_redone", (unsigned long long)c->par_redone,
                         "parallel_expand_seconds", c->par_gen_s,
                         "parallel_commit_seconds", c->par_commit_s,
                         "parallel_expand_cpu_seconds", c->par_cpu_s,
                         "parallel_lookups", (unsigned long long)c->par_lookups,
                         "parallel_commit_cpu_seconds", c->par_commit_cpu_s);
}

static PyObject *Core_get_states(Core *c, void *Py_UNUSED(x)) { return PyLong_FromUnsignedLongLong(c->nstates); }
static PyObject *Core_get_expanded(Core *c, void *Py_UNUSED(x)) { return PyLong_FromUnsignedLongLong(c->head); }
static PyObject *Core_get_edges(Core *c, void *Py_UNUSED(x)) { return PyLong_FromUnsignedLongLong(c->edges); }
static PyObject *Core_get_status(Core *c, void *Py_UNUSED(x)) { return PyLong_FromLong(c->status); }
static PyObject *Core_get_workers(Core *c, void *Py_UNUSED(x)) { return PyLong_FromLong(c->workers); }
static PyObject *Core_get_error(Core *c, void *Py_UNUSED(x)) {
    PyObject *e = c->error ? c->error : Py_None;
    Py_INCREF(e);
    return e;
}
static PyObject *Core_get_widths(Core *c, void *Py_UNUSED(x)) {
    PyObject *out = PyList_New(c->nslots);
    if (!out) return NULL;
    for (int32_t s = 0; s < c->nslots; s++) PyList_SET_ITEM(out, s, PyLong_FromLong(c->width[s]));
    return out;
}

/* ------------------------------------------------------------ construction */

static int copy_buffer(PyObject *obj, void **dst, Py_ssize_t itemsize, Py_ssize_t *count, const char *what) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) return -1;
    if (view.len % itemsize) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "%s: bad buffer length", what);
        return -1;
    }
    *dst = malloc((size_t)(view.len ? view.len : 1));
    if (!*dst) { PyBuffer_Release(&view); PyErr_NoMemory(); return -1; }
    memcpy(*dst, view.buf, (size_t)view.len);
    if (count) *count = view.len / itemsize;
    PyBuffer_Release(&view);
    return 0;
}

static int Core_init(Core *c, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"nslots", "nplaces", "ntrans", "slot_place", "place_range", "prog", "prog_start",
                             "bind", "bind_off", "trap", "trap_off", "initial", "slot_values", "delegate",
                             "limit", "keep", "compact", "seed", "trigger", "workers",
                             "par_min", "par_batch", NULL};
    int nslots, nplaces, ntrans, keep, compact;
    PyObject *slot_place, *place_range, *prog, *prog_start, *bind, *bind_off, *trap, *trap_off, *initial;
    PyObject *slot_values, *delegate, *trigger = NULL;
    int workers = 1;
    unsigned long long par_min = PAR_MIN, par_batch = PAR_BATCH;
    unsigned long long limit, seed;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iiiOOOOOOOOOO!OKppK|OiKK", kwlist, &nslots, &nplaces, &ntrans,
                                     &slot_place, &place_range, &prog, &prog_start, &bind, &bind_off, &trap,
                                     &trap_off, &initial, &PyList_Type, &slot_values, &delegate, &limit, &keep,
                                     &compact, &seed, &trigger, &workers, &par_min, &par_batch))
        return -1;
    if (nslots < 0 || nplaces < 0 || ntrans < 0) {
        PyErr_SetString(PyExc_ValueError, "negative size");
        return -1;
    }
    if (c->nslots || c->chunks) {
        PyErr_SetString(PyExc_RuntimeError, "Core already initialised");
        return -1;
    }
    if (PyList_GET_SIZE(slot_values) != nslots) {
        PyErr_SetString(PyExc_ValueError, "slot_values must have one value per slot");
        return -1;
    }
    if (keep && compact) {
        PyErr_SetString(PyExc_ValueError, "successors cannot be kept in compact mode");
        return -1;
    }
    if (limit < 1) limit = 1;
    if (limit > 0xFFFFFFFEULL) limit = 0xFFFFFFFEULL;
    c->nslots = nslots;
    c->nplaces = nplaces;
    c->ntrans = ntrans;
    Py_ssize_t cnt;
    int32_t *pr = NULL;
    if (copy_buffer(slot_place, (void **)&c->slot_place, 4, &cnt, "slot_place") < 0) return -1;
    if (copy_buffer(place_range, (void **)&pr, 4, &cnt, "place_range") < 0) return -1;
    c->place_lo = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nplaces ? nplaces : 1));
    c->place_hi = (int32_t *)malloc(sizeof(int32_t) * (size_t)(nplaces ? nplaces : 1));
    if (!c->place_lo || !c->place_hi) { free(pr); PyErr_NoMemory(); return -1; }
    for (int i = 0; i < nplaces; i++) { c->place_lo[i] = pr[2 * i]; c->place_hi[i] = pr[2 * i + 1]; }
    free(pr);
    if (copy_buffer(prog, (void **)&c->prog, 4, &cnt, "prog") < 0) return -1;
    if (copy_buffer(prog_start, (void **)&c->prog_start, 4, &cnt, "prog_start") < 0) return -1;
    if (copy_buffer(bind, (void **)&c->bind, 4, &cnt, "bind") < 0) return -1;
    if (copy_buffer(bind_off, (void **)&c->bind_off, 8, &cnt, "bind_off") < 0) return -1;
    c->nbind = (int32_t)cnt;
    Py_ssize_t ntrapints = 0;
    if (copy_buffer(trap, (void **)&c->trap, 4, &ntrapints, "trap") < 0) return -1;
    if (copy_buffer(trap_off, (void **)&c->trap_off, 4, &cnt, "trap_off") < 0) return -1;
    c->ntraps = (int32_t)cnt;
    /* the programs refer only to what exists (they come from our Python code; check anyway) */
    {
        Py_ssize_t nprog = 0;
        Py_buffer view;
        if (PyObject_GetBuffer(prog, &view, PyBUF_SIMPLE) < 0) return -1;
        nprog = view.len / 4;
        PyBuffer_Release(&view);
        for (int32_t t = 0; t < ntrans; t++) {
            int32_t pc = c->prog_start[t];
            for (;;) {
                if (pc < 0 || pc >= nprog) goto bad_prog;
                int32_t op = c->prog[pc];
                if (op == OP_END) break;
                if (pc + 1 >= nprog) goto bad_prog;
                int32_t arg = c->prog[pc + 1];
                if (op == OP_TEST) {
                    if (arg < 0 || arg >= nslots || pc + 2 >= nprog || c->prog[pc + 2] <= pc) goto bad_prog;
                    pc += 3;
                } else if (op == OP_BIND) {
                    if (arg < 0 || arg >= c->nbind) goto bad_prog;
                    pc += 2;
                } else if (op == OP_TRAP) {
                    if (arg < 0 || arg >= c->ntraps || c->trap_off[arg] < 0 || c->trap_off[arg] >= ntrapints)
                        goto bad_prog;
                    pc += 2;
                } else {
                    goto bad_prog;
                }
            }
        }
    }
    c->single = (int32_t *)malloc(sizeof(int32_t) * (size_t)(ntrans > 0 ? ntrans : 1));
    if (!c->single) { PyErr_NoMemory(); return -1; }
    for (int32_t t = 0; t < ntrans; t++) {
        int32_t pc = c->prog_start[t];
        c->single[t] = (c->prog[pc] == OP_BIND && c->prog[pc + 2] == OP_END) ? c->prog[pc + 1] : -1;
    }
    if (copy_buffer(initial, (void **)&c->initial, 4, &cnt, "initial") < 0) return -1;
    if (cnt != nslots) { PyErr_SetString(PyExc_ValueError, "initial: one count per slot"); return -1; }
    c->twords = (ntrans + 63) / 64;
    if (trigger && trigger != Py_None && ntrans > TRIGGER_MIN_TRANS
            && ((uint64_t)nplaces + 1) * (uint64_t)c->twords <= TRIGGER_MAX_WORDS) {
        int32_t *trig = NULL;
        if (copy_buffer(trigger, (void **)&trig, 4, &cnt, "trigger") < 0) return -1;
        if (cnt != ntrans) { free(trig); PyErr_SetString(PyExc_ValueError, "trigger: one per transition"); return -1; }
        c->tbits = (uint64_t *)calloc(((size_t)nplaces + 1) * (size_t)c->twords, sizeof(uint64_t));
        c->ptrig_any = (uint8_t *)calloc((size_t)nplaces + 1, 1);
        if (!c->tbits || !c->ptrig_any) { free(trig); PyErr_NoMemory(); return -1; }
        for (int32_t t = 0; t < ntrans; t++) {
            int32_t p = trig[t];
            if (p < -1 || p >= nplaces) { free(trig); PyErr_SetString(PyExc_ValueError, "bad trigger"); return -1; }
            if (p < 0) p = nplaces;
            c->tbits[(uint64_t)p * c->twords + (t >> 6)] |= 1ULL << (t & 63);
            c->ptrig_any[p] = 1;
        }
        free(trig);
    }
    Py_INCREF(slot_values);
    c->slot_values = slot_values;
    Py_INCREF(delegate);
    c->delegate = delegate;
    c->limit = limit;
    c->keep = keep;
    c->workers = workers < 1 ? 1 : (workers > 255 ? 255 : workers);
    c->par_min = par_min < 1 ? 1 : par_min;
    c->par_batch = par_batch < 1 ? 1 : (par_batch > (1ULL << 24) ? (1ULL << 24) : par_batch);
    c->compact = compact;
    /* hashing */
    uint64_t x = seed;
    c->R = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)(nslots ? nslots : 1));
    if (!c->R) { PyErr_NoMemory(); return -1; }
    c->C0 = splitmix64(&x);
    for (int i = 0; i < nslots; i++) c->R[i] = splitmix64(&x);
    /* layout from the initial marking */
    c->width = (uint8_t *)malloc((size_t)(nslots > 0 ? nslots : 1));
    if (!c->width) { PyErr_NoMemory(); return -1; }
    for (int i = 0; i < nslots; i++) c->width[i] = (uint8_t)bits_for(c->initial[i]);
    for (int p = 0; p < nplaces; p++) {
        int w = 1;
        for (int s = c->place_lo[p]; s < c->place_hi[p]; s++) if (c->width[s] > w) w = c->width[s];
        for (int s = c->place_lo[p]; s < c->place_hi[p]; s++) c->width[s] = (uint8_t)w;
    }
    if (layout(c) < 0) return -1;
    c->cur = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    c->nw = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    c->tmp = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
    /* small nets: bindings checked against bit sets of non-zero counters */
    c->mw = (nslots > 0 && nslots <= 64 * MASK_WORDS_MAX) ? (nslots + 63) / 64 : 0;
    if (scratch_init(c, &c->ms) < 0) { PyErr_NoMemory(); return -1; }
    if (c->mw) {
        c->bmask = (uint64_t *)calloc((size_t)c->nbind * 2 * (size_t)c->mw + 1, sizeof(uint64_t));
        c->bsimple = (uint8_t *)calloc((size_t)c->nbind + 1, 1);
        if (!c->bmask || !c->bsimple) { PyErr_NoMemory(); return -1; }
        for (int32_t u = 0; u < c->nbind; u++) {
            const int32_t *b = c->bind + c->bind_off[u];
            uint64_t *m = c->bmask + (uint64_t)u * 2 * (uint64_t)c->mw;
            int simple = 1;
            int32_t nn = b[1];
            const int32_t *q = b + 2;
            for (int32_t i = 0; i < nn; i++, q += 2) {
                if (q[0] < 0 || q[0] >= nslots) { PyErr_SetString(PyExc_ValueError, "bad slot"); return -1; }
                m[q[0] >> 6] |= 1ULL << (q[0] & 63);
                if (q[1] != 1) simple = 0;
            }
            nn = *q++;
            for (int32_t i = 0; i < nn; i++, q++) {
                if (q[0] < 0 || q[0] >= nslots) { PyErr_SetString(PyExc_ValueError, "bad slot"); return -1; }
                m[c->mw + (q[0] >> 6)] |= 1ULL << (q[0] & 63);
            }
            c->bsimple[u] = (uint8_t)simple;
        }
    }
    c->bounds = (uint64_t *)calloc((size_t)(nplaces ? nplaces : 1), sizeof(uint64_t));
    c->fired = (uint8_t *)calloc((size_t)(ntrans ? ntrans : 1), 1);
    if (!c->cur || !c->nw || !c->tmp || !c->bounds || !c->fired) { PyErr_NoMemory(); return -1; }
    if (table_alloc(c, 1024) < 0) return -1;
    /* the initial state */
    for (int i = 0; i < nslots; i++) put(c, c->nw, i, c->initial[i]);
    for (int p = 0; p < nplaces; p++) c->bounds[p] = place_total(c, c->nw, p);
    if (compact) {
        c->root = (uint64_t *)calloc((size_t)c->nwords, sizeof(uint64_t));
        if (!c->root) { PyErr_NoMemory(); return -1; }
        memcpy(c->root, c->nw, sizeof(uint64_t) * (size_t)c->nwords);
    }
    uint64_t h = compact ? full_hash(c, c->nw) : word_hash(c, c->nw);
    uint64_t pos = 0;
    if (compact) lookup_compact(c, fingerprint(h), &pos);
    else lookup_exact(c, c->nw, h, &pos);
    if (add_state(c, c->nw, h, pos, 0) < 0) return -1;
    if (keep) {
        if (grow_u64(&c->succ_off, &c->succ_off_cap, 2) < 0) return -1;
        c->succ_off[0] = 0;
    }
    c->status = ST_RUNNING;
    return 0;
bad_prog:
    PyErr_SetString(PyExc_ValueError, "malformed program");
    return -1;
}

static void Core_dealloc(Core *c) {
    free(c->slot_place); free(c->place_lo); free(c->place_hi); free(c->prog); free(c->prog_start);
    free(c->bind); free(c->bind_off); free(c->trap); free(c->trap_off); free(c->initial); free(c->R);
    free(c->width); free(c->field);
    for (uint64_t k = c->freed_chunks; k < c->nchunks; k++) free(c->chunks[k]);
    free(c->chunks); free(c->root); free(c->parent); free(c->table); free(c->tags); free(c->fptable);
    free(c->fps); free(c->dead); free(c->bounds); free(c->fired); free(c->succ_off); free(c->succ);
    free(c->cur); free(c->nw); free(c->tmp); scratch_free(&c->ms); free(c->sbuf); free(c->shash);
    free(c->bmask); free(c->bsimple); free(c->rkeys); free(c->rrecs);
    free(c->tbits); free(c->ptrig_any); free(c->single);
    Py_XDECREF(c->slot_values);
    Py_XDECREF(c->delegate);
    Py_XDECREF(c->error);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static PyMethodDef Core_methods[] = {
    {"run", (PyCFunction)Core_run, METH_VARARGS, "run(budget) -> status: expand at most budget states"},
    {"marking", (PyCFunction)Core_marking, METH_VARARGS, "marking(s) -> the canonical marking of state s"},
    {"counts", (PyCFunction)Core_counts, METH_VARARGS, "counts(s) -> the counter vector of state s"},
    {"first_edge", (PyCFunction)Core_first_edge, METH_VARARGS,
     "first_edge(src, dst) -> the first binding from src to dst in canonical order, or -1"},
    {"lookup", (PyCFunction)Core_lookup, METH_VARARGS, "lookup(counts) -> state number or -1"},
    {"successors", (PyCFunction)Core_successors, METH_VARARGS, "successors(s) -> [(target, binding)]"},
    {"parent", (PyCFunction)Core_parent, METH_VARARGS, "parent(s) -> the BFS parent of s"},
    {"dead", (PyCFunction)Core_dead, METH_NOARGS, "dead() -> the dead states, in expansion order"},
    {"bounds", (PyCFunction)Core_bounds, METH_NOARGS, "bounds() -> the largest token count seen per place"},
    {"fired", (PyCFunction)Core_fired, METH_NOARGS, "fired() -> per transition, whether it ever fired"},
    {"memory", (PyCFunction)Core_memory, METH_NOARGS, "memory() -> bytes held by the state space"},
    {"stats", (PyCFunction)Core_stats, METH_NOARGS, "stats() -> a dict of internal figures"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Core_getset[] = {
    {"states", (getter)Core_get_states, NULL, "states found", NULL},
    {"expanded", (getter)Core_get_expanded, NULL, "states expanded", NULL},
    {"edges", (getter)Core_get_edges, NULL, "edges found", NULL},
    {"status", (getter)Core_get_status, NULL, "0 running, 1 done, 2 state limit, 3 model error", NULL},
    {"error", (getter)Core_get_error, NULL, "the model error that stopped the search, or None", NULL},
    {"widths", (getter)Core_get_widths, NULL, "bits per counter", NULL},
    {"workers", (getter)Core_get_workers, NULL, "threads that expand a batch of states (1: sequential)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "protoverify.explore._cexplore.Core",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Breadth-first explorer of an unfolded net (see protoverify/explore/compiled.py).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Core_init,
    .tp_dealloc = (destructor)Core_dealloc,
    .tp_methods = Core_methods,
    .tp_getset = Core_getset,
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_cexplore", "Compiled core of protoverify's explorer.", -1, NULL,
};

PyMODINIT_FUNC PyInit__cexplore(void) {
    if (PyType_Ready(&CoreType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&CoreType);
    if (PyModule_AddObject(m, "Core", (PyObject *)&CoreType) < 0) {
        Py_DECREF(&CoreType);
        Py_DECREF(m);
        return NULL;
    }
    PyModule_AddIntConstant(m, "ABI", 1);
    return m;
}
