import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLiveSender, type LiveSocket } from './live-sender.js';

function fakeSocket() {
  const sent: string[] = [];
  const socket = {
    bufferedAmount: 0,
    readyState: 1,
    closedWith: null as number | null,
    send: (data: string) => void sent.push(data),
    close(code: number) {
      socket.closedWith = code;
      socket.readyState = 3;
    },
    terminate: () => undefined,
  };
  return { socket: socket as LiveSocket & typeof socket, sent };
}
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('with room in the socket, messages go straight out', () => {
  const { socket, sent } = fakeSocket();
  const sender = createLiveSender(socket, { bufferBytes: 100, slowClientTimeoutMs: 1000 });
  sender.send('a');
  sender.send('b');
  assert.deepEqual(sent, ['a', 'b']);
});

test('behind the limit, the oldest waiting messages are dropped and the client is told before the rest', async () => {
  const { socket, sent } = fakeSocket();
  let droppedCount = 0;
  const sender = createLiveSender(socket, { bufferBytes: 30, slowClientTimeoutMs: 10_000, checkIntervalMs: 5, onDropped: (count) => (droppedCount += count) });
  socket.bufferedAmount = 31;
  for (const text of ['m1________', 'm2________', 'm3________', 'm4________', 'm5________']) sender.send(text);
  assert.deepEqual(sent, []);
  assert.deepEqual(sender.backlog(), { queued: 3, queuedBytes: 30, dropped: 2 });
  assert.equal(droppedCount, 2);
  socket.bufferedAmount = 0;
  await wait(30);
  assert.deepEqual(sent, ['{"type":"notice","message":"dropped 2 messages","dropped":2}', 'm3________', 'm4________', 'm5________']);
  sender.send('m6');
  assert.equal(sent.at(-1), 'm6', 'caught up: straight out again');
});

test('a client behind for longer than the timeout is closed with 1013', async () => {
  const { socket } = fakeSocket();
  let isReported = false;
  const sender = createLiveSender(socket, { bufferBytes: 10, slowClientTimeoutMs: 20, checkIntervalMs: 5, onSlowDisconnect: () => (isReported = true) });
  socket.bufferedAmount = 11;
  sender.send('waiting');
  await wait(60);
  assert.equal(socket.closedWith, 1013);
  assert.ok(isReported);
});
