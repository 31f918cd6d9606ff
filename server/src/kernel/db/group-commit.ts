interface Waiting<R> {
  rows: R[];
  done: () => void;
  failed: (err: unknown) => void;
}

/**
 * Rows of an append-only table written as they come, outside a transaction: one step's rows at a
 * time while the database keeps up, and the rows of the steps that arrived while an insert was on
 * its way together in the next one (group commit). No wait is added: the first step of a quiet
 * moment is sent at once. A step's promise settles once its own rows are written; rows go in
 * arrival order, so their auto-increment follows it. A step's rows stay together; a step larger
 * than `maxRows` goes alone.
 */
export class GroupCommit<R> {
  private queue: Waiting<R>[] = [];
  private writing = false;

  constructor(
    /** Writes the rows in one statement, in their order. */
    private readonly insert: (rows: R[]) => Promise<unknown>,
    private readonly maxRows = 500,
  ) {}

  write(rows: R[]): Promise<void> {
    return new Promise<void>((done, failed) => {
      this.queue.push({ rows, done, failed });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length) {
        const batch: Waiting<R>[] = [];
        let n = 0;
        while (this.queue.length && (!batch.length || n + this.queue[0]!.rows.length <= this.maxRows)) {
          const w = this.queue.shift()!;
          batch.push(w);
          n += w.rows.length;
        }
        try {
          await this.insert(batch.flatMap((w) => w.rows));
          for (const w of batch) w.done();
        } catch (err) {
          if (batch.length === 1) batch[0]!.failed(err);
          // One step's bad row must not fail the others: each step alone, so only it hears of it.
          else for (const w of batch) await this.insert(w.rows).then(w.done, w.failed);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
