/**
 * The SQLite writer's thread: its own connection to the database file, the batch transaction,
 * and a message loop. Each request is answered with the newest point of each series written,
 * or with the error that rolled the batch back; `close` closes the connection and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { createSqliteBatchTransaction } from './sqlite-batch-transaction.js';
import type { WriterReply, WriterRequest } from './sqlite-batch-writer.js';

const port = parentPort;
if (!port) throw new Error('sqlite-writer.worker runs as a worker thread');
const { file } = workerData as { file: string };

const sqlite = new SQLite(file);
// The same durability as the main connection (database.ts); checkpoints are the checkpointer's.
sqlite.pragma('synchronous = NORMAL');
sqlite.pragma('foreign_keys = ON');
sqlite.pragma('busy_timeout = 5000');
sqlite.pragma('wal_autocheckpoint = 0');
const write = createSqliteBatchTransaction(sqlite);

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    sqlite.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { id: request.id, latest: write(request.batch) };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
