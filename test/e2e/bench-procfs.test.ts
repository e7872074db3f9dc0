// The /proc parsers the agent benchmark's figures rest on (test/bench/support/procfs.ts),
// on real captures, and the kernel behaviour the benchmark relies on: a child's CPU time
// lands in the parent's cutime+cstime once the child has been waited for.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import {
  parseStat,
  parseStatus,
  readStat,
  readStatus,
  statCpuSeconds,
} from '../bench/support/procfs.js';
import { ticksPerSecond } from '../bench/support/proc.js';
import { median } from '../bench/support/report.js';

// Captured on the vcio dev container (Debian 12), 2026-11-27, command: `cat /proc/$P/stat`
// for a copy of /bin/sleep named "a b) c" (a command name with a space and a parenthesis).
const SLEEP_STAT =
  '18171 (a b) c) S 1 18167 14460 0 -1 4194304 134 0 0 0 0 0 0 0 20 0 1 0 1384473 2990080 421 18446744073709551615 93907237851136 93907237869065 140722176194240 0 0 0 0 6 0 1 0 0 17 1 0 0 0 0 0 93907237883152 93907237884416 93907978825728 140722176199397 140722176199412 140722176199412 140722176200684 0\n';

// Captured on the vcio dev container (Debian 12), 2026-11-27, command: a Node process that
// ran `sha256sum /usr/bin/node` three times (execFileSync), then spun 3e8 additions, then
// printed readFileSync('/proc/self/stat') and readFileSync('/proc/self/status').
const NODE_STAT =
  '18210 (node) R 18208 18208 14460 0 -1 4194304 3371 366 0 0 389 1 152 8 20 0 7 0 1384857 1016258560 12161 18446744073709551615 11988992 39846385 140731875644112 0 0 0 0 16781312 17922 0 0 0 17 0 0 0 0 0 0 90418888 90555584 1035206656 140731875649903 140731875650288 140731875650288 140731875651562 0\n';
const NODE_STATUS = `Name:\tnode
Umask:\t0022
State:\tR (running)
Tgid:\t18210
Ngid:\t0
Pid:\t18210
PPid:\t18208
TracerPid:\t0
Uid:\t0\t0\t0\t0
Gid:\t0\t0\t0\t0
FDSize:\t256
Groups:\t 
NStgid:\t18210
NSpid:\t18210
NSpgid:\t18208
NSsid:\t14460
Kthread:\t0
VmPeak:\t 1057464 kB
VmSize:\t  992440 kB
VmLck:\t       0 kB
VmPin:\t       0 kB
VmHWM:\t   48900 kB
VmRSS:\t   48900 kB
RssAnon:\t    9280 kB
RssFile:\t   39620 kB
RssShmem:\t       0 kB
VmData:\t   51328 kB
VmStk:\t     132 kB
VmExe:\t   27208 kB
VmLib:\t    4716 kB
VmPTE:\t     484 kB
VmSwap:\t       0 kB
HugetlbPages:\t       0 kB
CoreDumping:\t0
THP_enabled:\t1
untag_mask:\t0xffffffffffffffff
Threads:\t7
SigQ:\t0/96365
SigPnd:\t0000000000000000
ShdPnd:\t0000000000000000
SigBlk:\t0000000000000000
SigIgn:\t0000000001001000
SigCgt:\t0000000100004602
CapInh:\t0000000000000000
CapPrm:\t000001fffeffffff
CapEff:\t000001fffeffffff
CapBnd:\t000001fffeffffff
CapAmb:\t0000000000000000
NoNewPrivs:\t0
Seccomp:\t0
Seccomp_filters:\t0
Speculation_Store_Bypass:\tthread vulnerable
SpeculationIndirectBranch:\tconditional enabled
Cpus_allowed:\t3
Cpus_allowed_list:\t0-1
Mems_allowed:\t00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001
Mems_allowed_list:\t0
voluntary_ctxt_switches:\t12
nonvoluntary_ctxt_switches:\t11
`;

t.test('parseStat reads the CPU fields of a real Node process, children apart', async (t) => {
  const stat = parseStat(NODE_STAT);
  t.match(stat, {
    pid: 18210,
    comm: 'node',
    state: 'R',
    utime: 389,
    stime: 1,
    cutime: 152,
    cstime: 8,
    threads: 7,
    starttime: 1384857,
  });
  t.same(statCpuSeconds(stat, 100), { self: 3.9, children: 1.6 }, 'ticks to seconds');
});

t.test('parseStat finds the fields after a command name holding a space and a ")"', async (t) => {
  const stat = parseStat(SLEEP_STAT);
  t.equal(stat.comm, 'a b) c');
  t.equal(stat.pid, 18171);
  t.equal(stat.state, 'S');
  t.equal(stat.threads, 1);
  t.equal(stat.starttime, 1384473);
  t.same([stat.utime, stat.stime, stat.cutime, stat.cstime], [0, 0, 0, 0]);
});

t.test('parseStat refuses text that is not a stat line rather than inventing zeros', async (t) => {
  t.throws(() => parseStat(''), /not a \/proc\/<pid>\/stat line/);
  t.throws(() => parseStat('Name:\tnode\n'), /not a \/proc\/<pid>\/stat line/);
  t.throws(() => parseStat('18210 (node) R 18208 18208'), /field 14 missing/);
  t.throws(() => parseStat(NODE_STAT.replace(' 389 ', ' x ')), /field 14 .*not a number/);
});

t.test('parseStatus reads the resident size and its peak in KiB', async (t) => {
  t.same(parseStatus(NODE_STATUS), { rssKiB: 48900, hwmKiB: 48900 });
  const grown = NODE_STATUS.replace('VmHWM:\t   48900 kB', 'VmHWM:\t   61234 kB');
  t.same(parseStatus(grown), { rssKiB: 48900, hwmKiB: 61234 });
  // VmHWM comes before VmRSS in the file: the lines are found by name, not position.
  t.not(parseStatus(grown).rssKiB, 61234);
});

t.test(
  'parseStatus fails loudly without the memory lines (a kernel thread has none)',
  async (t) => {
    t.throws(() => parseStatus('Name:\tkworker/0:1\nState:\tI (idle)\n'), /no VmRSS line/);
    t.throws(() => parseStatus(NODE_STATUS.replace(/^VmHWM:.*\n/m, '')), /no VmHWM line/);
  },
);

t.test('median: odd, even, unsorted, NaN ignored, empty is NaN', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.equal(median([10, NaN, 30]), 20);
  t.ok(Number.isNaN(median([])));
  t.ok(Number.isNaN(median([NaN])));
});

t.test(
  'live /proc: a waited-for child’s CPU shows in this process’s cutime+cstime',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  async (t) => {
    const me = readStat('self');
    t.equal(me.pid, process.pid);
    t.ok(readStatus('self').rssKiB > 1024, 'this process has more than 1 MiB resident');
    const before = statCpuSeconds(me, ticksPerSecond()).children;
    // A child that spins for 0.3 s (plus Node's start-up), waited for by spawnSync.
    const child = spawnSync(
      process.execPath,
      ['-e', 'const end = Date.now() + 300; while (Date.now() < end);'],
      { stdio: 'ignore' },
    );
    t.equal(child.status, 0);
    const after = statCpuSeconds(readStat('self'), ticksPerSecond()).children;
    t.ok(after - before >= 0.25, `children CPU grew by ${(after - before).toFixed(2)} s`);
  },
);
