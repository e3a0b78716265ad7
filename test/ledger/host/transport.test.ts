/** The validator mesh's framing: frames survive any split of the byte stream, and an oversized frame stops it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeFrame, frameReader } from '../../../src/ledger/host/transport.ts';

test('frames come out whole and in order however the stream is cut into chunks (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 12 }),
      fc.array(fc.nat({ max: 40 }), { maxLength: 60 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(p)));
        const got: unknown[] = [];
        const errors: string[] = [];
        const feed = frameReader({
          frameBytesMax: 1 << 20,
          onFrame: (body) => got.push(JSON.parse(body.toString('utf8'))),
          onError: (reason) => errors.push(reason),
        });
        let at = 0;
        for (const c of cuts) {
          if (at >= stream.length) break;
          feed(stream.subarray(at, at + c));
          at += c;
        }
        feed(stream.subarray(at));
        assert.deepEqual(errors, []);
        assert.deepEqual(got, JSON.parse(JSON.stringify(payloads)));
      },
    ),
    { numRuns: 300 },
  );
});

test('a frame above the limit is reported once and nothing after it is read', () => {
  const got: unknown[] = [];
  const errors: string[] = [];
  const feed = frameReader({
    frameBytesMax: 64,
    onFrame: (body) => got.push(body.toString('utf8')),
    onError: (reason) => errors.push(reason),
  });
  const big = encodeFrame('x'.repeat(100));
  feed(Buffer.concat([encodeFrame('ok'), big.subarray(0, 2)]));
  feed(big.subarray(2));
  feed(encodeFrame('after'));
  assert.deepEqual(got, ['"ok"']);
  assert.deepEqual(errors, [`frame of ${big.length - 4} bytes exceeds 64`]);
});
