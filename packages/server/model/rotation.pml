/*
 * refresh-kit's refresh-token rotation protocol, checked by spin.
 *
 * What is modelled:
 * - The rotation script (store/scripts/rotate.lua) as ONE atomic step on the
 *   Redis clock: current generation, previous generation, rotation time, grace window.
 * - N browser tabs (the SDK's token manager, manager/token-manager.ts) sharing one storage
 *   behind a lock (cross-tab.ts) with an acquire timeout and a hold timeout. A tab re-reads
 *   storage inside the lock, sends the refresh, and retries at once, with the same token,
 *   a refresh that got no answer (timeout or dropped connection) unless another tab stored a
 *   successor meanwhile. An answered failure (503) waits for the backoff instead.
 * - A network that delays requests and answers, drops requests, loses answers, and a Redis
 *   that is busy: the server answers 503 while the rotation stays queued and runs later.
 * - A tab that hangs while holding the lock (its lock is then freed by the hold timeout).
 * - An attacker who replays a stolen refresh token of generation 0 at any time.
 * - A clock: discrete ticks of UNIT seconds (the greatest common divisor of the timing
 *   constants). Every bound is closed (<=, >=), so integer times cover every real-valued
 *   schedule; a delivery may happen at its deadline tick, which over-approximates "before".
 *
 * "Within the configured bounds": a request reaches the server within the refresh timeout
 * or is lost; at most FAULTS first attempts meet a fault (lost request, lost answer, Redis
 * busy), so a retry is delivered; a tab whose refresh failed with an answer refreshes again
 * within BACKOFF; at most STALLS tabs hang while holding the lock, for at most the hold
 * timeout; Redis runs queued commands in order, so a rotation queued behind a busy spell
 * runs before any later request.
 *
 * Invariants (asserted where they could break):
 *  (1) a tab is never signed out, unless the attacker's replay revoked the session;
 *  (2) presenting a token two or more generations old, or the previous one after the grace
 *      window, ends the session;
 *  (3) at most one successor is issued per generation.
 *
 * The constants come from the code's defaults (a test passes them with -D; see
 * test/model/rotation-model.test.ts); the defaults below are only for running spin by hand.
 */

#ifndef UNIT
#define UNIT 5          /* seconds per tick */
#endif
#ifndef GRACE
#define GRACE 6         /* REFRESH_REUSE_GRACE, ticks */
#endif
#ifndef TIMEOUT
#define TIMEOUT 1       /* SDK refreshTimeoutMs, ticks */
#endif
#ifndef HOLD
#define HOLD 3          /* SDK lock holdTimeoutMs, ticks */
#endif
#ifndef ACQUIRE
#define ACQUIRE 4       /* SDK lock acquireTimeoutMs, ticks */
#endif
#ifndef BACKOFF
#define BACKOFF 1       /* the SDK's first backoff, ticks (rounded up) */
#endif
#ifndef GAP
#define GAP 7           /* ticks between a tab's successful refreshes (access-token lifetime, capped) */
#endif
#ifndef N
#define N 2             /* tabs */
#endif
#ifndef RUNS
#define RUNS 2          /* refreshes each tab starts */
#endif
#ifndef FAULTS
#define FAULTS 1        /* faults on the network or in Redis */
#endif
#ifndef STALLS
#define STALLS 1        /* tabs that may hang while holding the lock */
#endif
#ifndef HORIZON
#define HORIZON 14      /* ticks explored */
#endif
#ifndef ATTACKER
#define ATTACKER 1      /* an attacker replays a stolen token */
#endif
#ifndef SPLIT
#define SPLIT 0         /* 1: rotation split into a read and a write (a known-bad design) */
#endif
#define MAXGEN 8

/* answers of the rotation script */
#define OK 1            /* rotated, or inside the grace window: a successor */
#define REUSED 2        /* 401 refresh_token_reused: the session is revoked */
#define INVALID 3       /* 401 invalid_refresh_token */
#define UNAVAILABLE 4   /* 503: Redis did not answer in time */

/* a tab's request */
#define R_NONE 0
#define R_TRANSIT 1     /* on its way to the server */
#define R_ANSWERING 2   /* processed; the answer is on its way */
#define R_ANSWERED 3    /* the answer has arrived */
#define R_SILENT 4      /* dropped, or its answer lost: the tab will time out */

/* a tab's phase, for the deadlines the clock respects */
#define P_IDLE 0
#define P_BACKOFF 1
#define P_WAITLOCK 2
#define P_WAITANSWER 3
#define P_DONE 4
#define P_LOCKED 5      /* past the lock: reads storage and sends at once */

byte now = 0;

/* the store (one session) */
byte cur = 0;                   /* current generation */
byte rotAt = 0;                 /* when it was issued, on the Redis clock */
bool revoked = false;
byte successors[MAXGEN];        /* successors issued per generation */
bool attacked = false;          /* the attacker presented a stolen token */

/* the tabs' shared storage */
byte stored = 0;                /* generation of the stored refresh token */
bool signedOut = false;

/* the cross-tab lock */
byte holder = 0;                /* 0: free, else tab + 1 */
byte heldSince = 0;
byte stalls = 0;
byte faults = 0;                /* lost requests, lost answers and busy spells so far */

/* per tab */
byte phase[N];
byte phaseAt[N];
byte req[N];
byte reqGen[N];
byte sentAt[N];
byte attempt[N];
byte ansStatus[N];
byte ansGen[N];
bool busy[N];                   /* a rotation queued behind a busy Redis */
byte busyGen[N];
byte busyAt[N];
byte queued = 0;                /* rotations queued behind a busy Redis: they run first (FIFO) */
bool stalled[N];
byte lockAt[N];                 /* when the tab took the lock */

/* Who presented a token, for the trace. */
inline say(who) {
  if
  :: who < N -> printf(" (tab %d's request)\n", who)
  :: who == 10 -> printf(" (the attacker)\n")
  :: who == 11 -> printf(" (the queued script runs after Redis's busy spell)\n")
  :: else -> printf("\n")
  fi
}

/* The rotation script: one atomic step, as refreshKitRotate runs in Redis. */
inline rotate(p, status, successor, who, stale) {
  stale = (p + 2 <= cur) || (p + 1 == cur && now - rotAt > GRACE);
  if
  :: revoked -> status = INVALID
  :: !revoked && p == cur ->
       successors[p]++; cur++; rotAt = now; status = OK; successor = cur;
       /* invariant 3 */
       assert(successors[p] <= 1);
       printf("MODEL %d s: server rotates generation %d to %d", now * UNIT, p, cur); say(who)
  :: !revoked && p > cur -> status = INVALID
  :: !revoked && p + 1 == cur && now - rotAt <= GRACE ->
       status = OK; successor = cur;
       printf("MODEL %d s: server: generation %d, %d s after the rotation, is inside the %d s grace window: same successor %d", now * UNIT, p, (now - rotAt) * UNIT, GRACE * UNIT, cur); say(who)
  :: else ->
       revoked = true; status = REUSED;
       printf("MODEL %d s: server: generation %d presented %d s after the rotation to %d (grace %d s): REUSE, session revoked", now * UNIT, p, (now - rotAt) * UNIT, cur, GRACE * UNIT); say(who)
  fi;
  /* invariant 2 */
  assert(!stale || revoked)
}

/* Time passes only when nothing is due now. */
#define DUE(c) ( \
  (req[c] == R_TRANSIT && now >= sentAt[c] + TIMEOUT) || \
  (req[c] == R_ANSWERING && now >= sentAt[c] + TIMEOUT) || \
  (busy[c] && now >= busyAt[c] + TIMEOUT) || \
  (stalled[c] && now >= lockAt[c] + HOLD) || \
  (!stalled[c] && phase[c] == P_WAITANSWER && now >= sentAt[c] + TIMEOUT) || \
  (!stalled[c] && phase[c] == P_WAITLOCK && now >= phaseAt[c] + ACQUIRE) || \
  (phase[c] == P_BACKOFF && now >= phaseAt[c] + BACKOFF) || \
  (phase[c] == P_LOCKED) || \
  (phase[c] == P_WAITLOCK && holder == 0) || \
  (!stalled[c] && req[c] == R_ANSWERED && phase[c] == P_WAITANSWER))

active proctype Clock() {
  byte c;
end:
  do
  :: atomic {
       holder != 0 && now >= heldSince + HOLD ->
       printf("MODEL %d s: the hold timeout frees the lock of tab %d\n", now * UNIT, holder - 1);
       holder = 0
     }
  :: atomic {
       now < HORIZON && !(holder != 0 && now >= heldSince + HOLD) ->
       c = 0;
       do
       :: c < N && !DUE(c) -> c++
       :: c < N && DUE(c) -> break
       :: c == N -> now++; c = 0; break
       od
     }
  od
}

/* The network and a busy Redis, for one tab's requests. */
proctype Network(byte c) {
  byte status, successor, seen;
  bool stale;
end:
  do
#if SPLIT
  /* A rotation that is NOT one atomic step (a read, then a write): what the script prevents. */
  :: atomic { req[c] == R_TRANSIT && queued == 0 && !revoked && reqGen[c] == cur -> seen = cur };
     atomic {
       printf("MODEL %d s: server (read, then write) rotates generation %d to %d", now * UNIT, seen, seen + 1); say(c);
       successors[seen]++;
       assert(successors[seen] <= 1);
       cur = seen + 1; rotAt = now;
       ansStatus[c] = OK; ansGen[c] = cur; req[c] = R_ANSWERING; seen = 0
     }
#endif
  :: atomic {
       req[c] == R_TRANSIT && queued == 0 ->
       rotate(reqGen[c], status, successor, c, stale);
       ansStatus[c] = status; ansGen[c] = successor; req[c] = R_ANSWERING;
       status = 0; successor = 0; stale = false
     }
  :: atomic {
       req[c] == R_TRANSIT && faults < FAULTS && attempt[c] == 1 ->
       faults++; req[c] = R_SILENT;
       printf("MODEL %d s: the network drops tab %d's request\n", now * UNIT, c)
     }
  :: atomic {
       req[c] == R_TRANSIT && faults < FAULTS && attempt[c] == 1 && queued == 0 ->
       faults++;
       rotate(reqGen[c], status, successor, c, stale);
       req[c] = R_SILENT;
       printf("MODEL %d s: tab %d's answer is lost (or arrives after its timeout)\n", now * UNIT, c);
       status = 0; successor = 0; stale = false
     }
  :: atomic {
       req[c] == R_TRANSIT && faults < FAULTS && attempt[c] == 1 ->
       faults++; busy[c] = true; busyGen[c] = reqGen[c]; busyAt[c] = now; queued++;
       ansStatus[c] = UNAVAILABLE; req[c] = R_ANSWERING;
       printf("MODEL %d s: Redis is busy: the server answers tab %d 503, the rotation of generation %d stays queued\n", now * UNIT, c, reqGen[c])
     }
  :: atomic { req[c] == R_ANSWERING -> req[c] = R_ANSWERED }
  :: atomic {
       busy[c] ->
       rotate(busyGen[c], status, successor, 11, stale);
       busy[c] = false; busyGen[c] = 0; busyAt[c] = 0; queued--;
       status = 0; successor = 0; stale = false
     }
  od
}

#if ATTACKER
active proctype Attacker() {
  byte status, successor;
  bool stale;
  atomic {
    now > 0 ->
    printf("MODEL %d s: an attacker replays the stolen generation-0 token\n", now * UNIT);
    attacked = true;
    rotate(0, status, successor, 10, stale)
  }
}
#endif

proctype Tab(byte me) {
  byte want, intended, runs = 0;
  bool locked;
end:
  do
  :: atomic {
       !signedOut &&
       (phase[me] == P_BACKOFF || (phase[me] == P_IDLE && runs < RUNS && (runs == 0 || now >= phaseAt[me] + GAP))) ->
       /* A retry after the backoff is part of the same refresh, not a new one. */
       if
       :: phase[me] == P_IDLE -> runs++
       :: else -> skip
       fi;
       want = stored; phase[me] = P_WAITLOCK; phaseAt[me] = now;
       printf("MODEL %d s: tab %d starts a refresh of generation %d\n", now * UNIT, me, want)
     };
     if
     :: atomic {
          holder == 0 -> holder = me + 1; heldSince = now; lockAt[me] = now; locked = true;
          phase[me] = P_LOCKED;
          printf("MODEL %d s: tab %d takes the lock\n", now * UNIT, me)
        }
     :: atomic {
          now >= phaseAt[me] + ACQUIRE -> locked = false; phase[me] = P_LOCKED;
          printf("MODEL %d s: tab %d waited %d s for the lock: refreshes without it\n", now * UNIT, me, ACQUIRE * UNIT)
        }
     fi;
     /* Inside the lock: storage is read again. */
     atomic {
       if
       :: signedOut -> phase[me] = P_DONE; goto release
       :: !signedOut && stored != want ->
            printf("MODEL %d s: tab %d adopts generation %d that another tab stored\n", now * UNIT, me, stored);
            phase[me] = P_IDLE; phaseAt[me] = now; goto release
       :: else -> intended = stored
       fi;
       attempt[me] = 1; reqGen[me] = intended; sentAt[me] = now; req[me] = R_TRANSIT;
       phase[me] = P_WAITANSWER;
       printf("MODEL %d s: tab %d sends generation %d\n", now * UNIT, me, intended)
     };
     /* A tab holding the lock may hang: its timers stop, the hold timeout frees the lock. */
     if
     :: atomic { locked && holder == me + 1 && stalls < STALLS && !stalled[me] ->
          stalls++; stalled[me] = true;
          printf("MODEL %d s: tab %d hangs while holding the lock\n", now * UNIT, me) };
        atomic { stalled[me] -> stalled[me] = false;
          printf("MODEL %d s: tab %d resumes\n", now * UNIT, me) }
     :: skip
     fi;
wait:
     if
     :: atomic {
          req[me] == R_ANSWERED -> req[me] = R_NONE;
          if
          :: ansStatus[me] == OK ->
               if
               :: signedOut -> phase[me] = P_DONE
               :: !signedOut && stored == intended ->
                    stored = ansGen[me];
                    printf("MODEL %d s: tab %d stores generation %d\n", now * UNIT, me, stored);
                    phase[me] = P_IDLE
               :: else ->
                    printf("MODEL %d s: tab %d keeps generation %d that another tab stored\n", now * UNIT, me, stored);
                    phase[me] = P_IDLE
               fi;
               phaseAt[me] = now
          :: ansStatus[me] == UNAVAILABLE ->
               printf("MODEL %d s: tab %d keeps its tokens and backs off after the 503\n", now * UNIT, me);
               phase[me] = P_BACKOFF; phaseAt[me] = now
          :: else ->
               if
               :: stored != intended ->
                    printf("MODEL %d s: tab %d was refused but adopts generation %d another tab stored\n", now * UNIT, me, stored);
                    phase[me] = P_IDLE; phaseAt[me] = now
               :: else ->
                    signedOut = true; phase[me] = P_DONE;
                    /* invariant 1 */
                    if
                    :: ansStatus[me] == REUSED -> printf("MODEL %d s: tab %d is SIGNED OUT (401 refresh_token_reused)\n", now * UNIT, me)
                    :: else -> printf("MODEL %d s: tab %d is SIGNED OUT (401 invalid_refresh_token)\n", now * UNIT, me)
                    fi;
                    assert(attacked)
               fi
          fi
        }
     :: atomic {
          now >= sentAt[me] + TIMEOUT && (req[me] == R_SILENT || req[me] == R_NONE) ->
          req[me] = R_NONE;
          if
          :: attempt[me] == 1 && stored == intended && !signedOut ->
               attempt[me] = 2; sentAt[me] = now; req[me] = R_TRANSIT;
               printf("MODEL %d s: tab %d got no answer in %d s: retries generation %d at once\n", now * UNIT, me, TIMEOUT * UNIT, intended)
          :: attempt[me] == 1 && (stored != intended || signedOut) ->
               printf("MODEL %d s: tab %d got no answer, and another tab stored generation %d: no retry\n", now * UNIT, me, stored);
               phase[me] = P_IDLE; phaseAt[me] = now
          :: attempt[me] == 2 ->
               printf("MODEL %d s: tab %d's retry got no answer either: backs off\n", now * UNIT, me);
               phase[me] = P_BACKOFF; phaseAt[me] = now
          fi
        };
        if
        :: phase[me] == P_WAITANSWER -> goto wait
        :: else -> skip
        fi
     fi;
release:
     atomic {
       if
       :: holder == me + 1 -> holder = 0; heldSince = 0
       :: else -> skip
       fi;
       /* Forget what no longer matters, so equal situations are one state. */
       want = 0; intended = 0; locked = false; lockAt[me] = 0;
       attempt[me] = 0; sentAt[me] = 0; reqGen[me] = 0; ansStatus[me] = 0; ansGen[me] = 0;
     }
  od
}

init {
  byte c = 0;
  atomic {
    do
    :: c < N -> run Tab(c); run Network(c); c++
    :: c == N -> break
    od
  }
}
