// Preloaded (`--require`) into every benchmark child: the parent holds the write end of the
// child's stdin, so its end means the benchmark died without stopping us; stop as on SIGTERM.
process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
process.stdin.resume();
