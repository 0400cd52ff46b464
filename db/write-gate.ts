import type { Sequelize } from 'sequelize';

export type WriteGate = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * SQLite has one writer at a time, and node-sqlite3 waits for a lock inside a libuv pool thread:
 * enough concurrent waiters would occupy every pool thread while the lock holder's COMMIT sits
 * queued behind them. Serialising this process's writes avoids that; other processes still meet
 * the busy timeout. Server databases run writes concurrently.
 */
export function createWriteGate(sequelize: Sequelize): WriteGate {
  if (sequelize.getDialect() !== 'sqlite') return (work) => work();
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work, work);
    tail = result.catch(() => undefined);
    return result;
  };
}
