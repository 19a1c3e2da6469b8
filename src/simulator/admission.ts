/**
 * Runs request preparation (tokenizing, planning) in slices of at most SLICE_MS per event-loop turn. Node handles
 * every socket that became readable in one poll phase back to back, so 500 arriving requests would otherwise block
 * the engine clock for their whole preparation and make every running stream's next token late. Work left over waits
 * for the next turn, after the clock's timers have run.
 */
const SLICE_MS = 2;

interface Job { run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }

export class Admission {
  private readonly queue: Job[] = [];
  private head = 0;
  private scheduled = false;

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.drain);
      }
    });
  }

  private readonly drain = (): void => {
    const start = performance.now();
    while (this.head < this.queue.length && performance.now() - start < SLICE_MS) {
      const job = this.queue[this.head++];
      try {
        job.resolve(job.run());
      } catch (e) {
        job.reject(e);
      }
    }
    if (this.head >= this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.scheduled = false;
    } else {
      setImmediate(this.drain);
    }
  };
}
