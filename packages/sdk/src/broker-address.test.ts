import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerUrlOf } from './broker-address.js';

test('brokerUrlOf: TCP on the server host in Node, TLS as mqtts, IPv6 in brackets', () => {
  assert.equal(brokerUrlOf('http://pi.local:8080', { mqtt: { port: 18830, tls: false }, websocketPath: '/mqtt' }, false), 'mqtt://pi.local:18830');
  assert.equal(brokerUrlOf('https://fleet.example.com', { mqtt: { port: 8884, tls: true }, websocketPath: '/mqtt' }, false), 'mqtts://fleet.example.com:8884');
  assert.equal(brokerUrlOf('http://[::1]:8080', { mqtt: { port: 1884, tls: false }, websocketPath: '/mqtt' }, false), 'mqtt://[::1]:1884');
});

test('brokerUrlOf: WebSocket on the HTTP port without a TCP listener, and in a browser', () => {
  assert.equal(brokerUrlOf('http://pi.local:8080', { mqtt: null, websocketPath: '/mqtt' }, false), 'ws://pi.local:8080/mqtt');
  assert.equal(brokerUrlOf('https://fleet.example.com/flotilla/', { mqtt: null, websocketPath: '/mqtt' }, false), 'wss://fleet.example.com/flotilla/mqtt');
  assert.equal(brokerUrlOf('http://pi.local:8080', { mqtt: { port: 1884, tls: false }, websocketPath: '/mqtt' }, true), 'ws://pi.local:8080/mqtt');
});
