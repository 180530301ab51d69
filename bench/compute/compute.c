/*
 * compute.c: the compute-bound guest of `make bench-compute`.
 *
 * Shaped like real compute programs (a SAT solver, an interpreter, a
 * hash): tight loops, many small calls that are kept out of line
 * (noinline), data-dependent branches, loads and stores in arrays. It
 * makes no WASI call but the final printf, so the time is the code that
 * the engine compiled, nothing else.
 *
 *   compute [SCALE]     (default 10)
 *
 * 1. DPLL with unit propagation on 2*SCALE random 3-SAT instances of
 *    150 variables (fixed seeds, at the 4.26 clauses/variable threshold,
 *    so about half are satisfiable); each model found is checked.
 * 2. A register bytecode interpreter (switch dispatch, CALL/RET)
 *    running a fixed program: Collatz lengths of 1..SCALE*40000, summed
 *    into a table and mixed into a hash.
 * 3. FNV-1a over a generated 64 KiB buffer, SCALE*128 passes.
 *
 * Natively (gcc -O2, x86-64) SCALE 10 takes about 1.7 s, roughly half
 * in the solver, half in the interpreter.
 *
 * Prints one line: "checksum <16 hex digits>" (and the counts that feed
 * it); the same for any build (wasm32 or native, gcc or clang): only
 * fixed-width unsigned arithmetic, no floating point, no UB.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* ---- hashing helpers ---------------------------------------------- */

static uint64_t rng_state;

static NOINLINE uint32_t rng_next(void) {
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * UINT64_C(2685821657736338717)) >> 32);
}

static NOINLINE uint64_t mix64(uint64_t h, uint64_t v) {
    /* splitmix64 finalizer over h ^ v */
    uint64_t z = h ^ (v + UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static NOINLINE uint64_t fnv1a(const uint8_t *p, size_t n, uint64_t h) {
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* ---- 1. DPLL ------------------------------------------------------- */

#define NVARS 150
#define NCLAUSES 639 /* 4.26 * NVARS */
#define NLITS (2 * (NVARS + 1))

/* A literal is 2*var + neg (var in 1..NVARS). */
static int clause_lit[NCLAUSES][3];
static int occ_start[NLITS + 1];
static int occ_list[NCLAUSES * 3];
static int score[NLITS];
static signed char value[NVARS + 1]; /* 0 unassigned, 1 true, -1 false */
static int trail[NVARS];
static int trail_len, qhead;
static uint64_t decisions, propagations, conflicts;

static void gen_instance(uint64_t seed) {
    rng_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
    memset(occ_start, 0, sizeof occ_start);
    memset(score, 0, sizeof score);
    for (int c = 0; c < NCLAUSES; c++) {
        for (int k = 0; k < 3; k++) {
            int v, dup;
            do { /* three distinct variables */
                v = 1 + (int)(rng_next() % NVARS);
                dup = 0;
                for (int j = 0; j < k; j++) dup |= (clause_lit[c][j] >> 1) == v;
            } while (dup);
            int lit = 2 * v + (int)(rng_next() & 1);
            clause_lit[c][k] = lit;
            occ_start[lit + 1]++;
            score[lit]++;
        }
    }
    for (int l = 0; l < NLITS; l++) occ_start[l + 1] += occ_start[l];
    int fill[NLITS];
    memcpy(fill, occ_start, sizeof fill);
    for (int c = 0; c < NCLAUSES; c++)
        for (int k = 0; k < 3; k++) occ_list[fill[clause_lit[c][k]]++] = c;
    memset(value, 0, sizeof value);
    trail_len = qhead = 0;
}

/* 1 true, -1 false, 0 unassigned */
static NOINLINE int lit_value(int lit) {
    int v = value[lit >> 1];
    return (lit & 1) ? -v : v;
}

static NOINLINE void assign(int lit) {
    value[lit >> 1] = (lit & 1) ? -1 : 1;
    trail[trail_len++] = lit;
}

static NOINLINE void undo_to(int mark) {
    while (trail_len > mark) value[trail[--trail_len] >> 1] = 0;
    qhead = mark;
}

/* 1 satisfied; else the number of unassigned literals, one in *unit. */
static NOINLINE int clause_state(int c, int *unit, int *sat) {
    int free_count = 0;
    for (int k = 0; k < 3; k++) {
        int lit = clause_lit[c][k];
        int lv = lit_value(lit);
        if (lv > 0) {
            *sat = 1;
            return 0;
        }
        if (lv == 0) {
            free_count++;
            *unit = lit;
        }
    }
    *sat = 0;
    return free_count;
}

/* Unit propagation from the queue; 0 on a conflict. */
static NOINLINE int propagate(void) {
    while (qhead < trail_len) {
        int falsified = trail[qhead++] ^ 1;
        for (int i = occ_start[falsified]; i < occ_start[falsified + 1]; i++) {
            int unit = 0, sat;
            int n = clause_state(occ_list[i], &unit, &sat);
            if (sat) continue;
            if (n == 0) {
                conflicts++;
                return 0;
            }
            if (n == 1) {
                propagations++;
                assign(unit);
            }
        }
    }
    return 1;
}

/* The unassigned literal that occurs most; 0 when all are assigned. */
static NOINLINE int choose_lit(void) {
    int best = 0, best_score = -1;
    for (int v = 1; v <= NVARS; v++) {
        if (value[v]) continue;
        int pos = score[2 * v], neg = score[2 * v + 1];
        int s = pos + neg;
        if (s > best_score) {
            best_score = s;
            best = pos >= neg ? 2 * v : 2 * v + 1;
        }
    }
    return best;
}

static int dpll(void) {
    if (!propagate()) return 0;
    int lit = choose_lit();
    if (!lit) return 1;
    int mark = trail_len;
    decisions++;
    assign(lit);
    if (dpll()) return 1;
    undo_to(mark);
    assign(lit ^ 1);
    if (dpll()) return 1;
    undo_to(mark);
    return 0;
}

static uint64_t run_sat(int instances, int *nsat) {
    uint64_t h = 0;
    *nsat = 0;
    for (int i = 0; i < instances; i++) {
        gen_instance((uint64_t)i + 1);
        int sat = dpll();
        if (sat) {
            for (int c = 0; c < NCLAUSES; c++) {
                int ok = 0;
                for (int k = 0; k < 3; k++) ok |= lit_value(clause_lit[c][k]) > 0;
                if (!ok) {
                    fprintf(stderr, "compute: instance %d: wrong model\n", i);
                    exit(1);
                }
            }
            for (int v = 1; v <= NVARS; v++) h = mix64(h, (uint64_t)(value[v] > 0) << (v % 64));
            ++*nsat;
        }
        h = mix64(h, (uint64_t)sat);
    }
    return mix64(mix64(h, decisions), mix64(propagations, conflicts));
}

/* ---- 2. bytecode interpreter -------------------------------------- */

enum {
    OP_MOVI, OP_MOV, OP_ADDI, OP_SHRI, OP_ANDI, OP_MULI,
    OP_JLEI, OP_JNZ, OP_JLT, OP_JMP, OP_CALL, OP_RET,
    OP_MIX, OP_MEMADD, OP_LOADM, OP_XOR, OP_HALT
};

typedef struct {
    uint8_t op, a, b, pad;
    int32_t imm; /* immediate, or jump target */
    int32_t tgt; /* jump target of JLEI */
} insn;

#define MEM_WORDS 4096
static uint64_t vm_mem[MEM_WORDS];

static NOINLINE void mem_add(uint64_t idx, uint64_t v) {
    vm_mem[idx & (MEM_WORDS - 1)] += v;
}

static NOINLINE uint64_t mem_load(uint64_t idx) {
    return vm_mem[(idx * 7) & (MEM_WORDS - 1)];
}

static uint64_t vm_steps;

static uint64_t run_vm(const insn *prog, uint64_t *reg) {
    int32_t stack[64];
    int sp = 0, pc = 0;
    uint64_t steps = 0;
    for (;;) {
        const insn *in = &prog[pc++];
        steps++;
        switch (in->op) {
        case OP_MOVI: reg[in->a] = (uint64_t)(uint32_t)in->imm; break;
        case OP_MOV: reg[in->a] = reg[in->b]; break;
        case OP_ADDI: reg[in->a] = reg[in->b] + (uint64_t)in->imm; break;
        case OP_SHRI: reg[in->a] = reg[in->b] >> in->imm; break;
        case OP_ANDI: reg[in->a] = reg[in->b] & (uint64_t)in->imm; break;
        case OP_MULI: reg[in->a] = reg[in->b] * (uint64_t)in->imm; break;
        case OP_XOR: reg[in->a] ^= reg[in->b]; break;
        case OP_JLEI: if (reg[in->a] <= (uint64_t)in->imm) pc = in->tgt; break;
        case OP_JNZ: if (reg[in->a]) pc = in->imm; break;
        case OP_JLT: if (reg[in->a] < reg[in->b]) pc = in->imm; break;
        case OP_JMP: pc = in->imm; break;
        case OP_CALL:
            if (sp == 64) return UINT64_MAX;
            stack[sp++] = pc;
            pc = in->imm;
            break;
        case OP_RET: pc = stack[--sp]; break;
        case OP_MIX: reg[in->a] = mix64(reg[in->a], reg[in->b]); break;
        case OP_MEMADD: mem_add(reg[in->a], reg[in->b]); break;
        case OP_LOADM: reg[in->a] = mem_load(reg[in->b]); break;
        case OP_HALT: vm_steps += steps; return reg[2];
        default: return UINT64_MAX;
        }
    }
}

static uint64_t run_interp(uint32_t limit) {
#define I(op, a, b, imm) {op, a, b, 0, imm, 0}
    const insn prog[] = {
        /* 0 */ I(OP_MOVI, 0, 0, 1),              /* r0 = i = 1 */
        /* 1 */ I(OP_MOVI, 1, 0, (int32_t)limit), /* r1 = limit */
        /* 2 */ I(OP_MOVI, 2, 0, 0),              /* r2 = hash */
        /* 3 */ I(OP_MOV, 3, 0, 0),               /* loop: r3 = x = i */
        /* 4 */ I(OP_MOVI, 4, 0, 0),              /* r4 = steps */
        /* 5 */ {OP_JLEI, 3, 0, 0, 1, 9},         /* if x <= 1 goto 9 */
        /* 6 */ I(OP_CALL, 0, 0, 16),             /* x = collatz(x) */
        /* 7 */ I(OP_ADDI, 4, 4, 1),
        /* 8 */ I(OP_JMP, 0, 0, 5),
        /* 9 */ I(OP_MEMADD, 0, 4, 0),            /* mem[i] += steps */
        /* 10 */ I(OP_LOADM, 5, 0, 0),            /* r5 = mem[7i] */
        /* 11 */ I(OP_XOR, 5, 4, 0),
        /* 12 */ I(OP_MIX, 2, 5, 0),              /* hash = mix(hash, r5) */
        /* 13 */ I(OP_ADDI, 0, 0, 1),
        /* 14 */ I(OP_JLT, 0, 1, 3),              /* if i < limit goto loop */
        /* 15 */ I(OP_HALT, 0, 0, 0),
        /* 16 */ I(OP_ANDI, 6, 3, 1),             /* collatz(x): odd? */
        /* 17 */ I(OP_JNZ, 6, 0, 20),
        /* 18 */ I(OP_SHRI, 3, 3, 1),             /* x / 2 */
        /* 19 */ I(OP_RET, 0, 0, 0),
        /* 20 */ I(OP_MULI, 3, 3, 3),             /* 3x + 1 */
        /* 21 */ I(OP_ADDI, 3, 3, 1),
        /* 22 */ I(OP_RET, 0, 0, 0),
    };
#undef I
    uint64_t reg[8] = {0};
    return run_vm(prog, reg);
}

/* ---- 3. hashing ---------------------------------------------------- */

static uint8_t buf[1 << 16];

static uint64_t run_hash(int passes) {
    rng_state = UINT64_C(0x243f6a8885a308d3);
    for (size_t i = 0; i < sizeof buf; i += 4) {
        uint32_t r = rng_next();
        memcpy(buf + i, &r, 4);
    }
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (int p = 0; p < passes; p++) {
        h = fnv1a(buf, sizeof buf, h);
        buf[h & (sizeof buf - 1)] ^= (uint8_t)p;
    }
    return h;
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 10;
    if (scale < 1 || scale > 10000) {
        fprintf(stderr, "usage: compute [SCALE 1..10000]\n");
        return 2;
    }
    int nsat;
    uint64_t h_sat = run_sat(2 * scale, &nsat);
    uint64_t h_vm = run_interp((uint32_t)scale * 40000u);
    uint64_t h_mem = fnv1a((const uint8_t *)vm_mem, sizeof vm_mem, 0);
    uint64_t h_fnv = run_hash(scale * 128);
    uint64_t sum = mix64(mix64(h_sat, h_vm), mix64(h_mem, h_fnv));
    printf("checksum %016" PRIx64 " sat %d/%d decisions %" PRIu64 " vm-steps %" PRIu64 "\n",
           sum, nsat, 2 * scale, decisions, vm_steps);
    return 0;
}
