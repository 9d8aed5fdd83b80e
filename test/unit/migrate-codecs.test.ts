import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bool, bytesize, CodecError, duration, durationIn, durationMs, enumOf, flag, float, int, list, mapped, str } from '../../migrations/legacy/codecs.js';

test('scalars decode like cuttlefish and reject the rest with CodecError', () => {
  assert.equal(str.decode('"q" x'), '"q" x');
  assert.equal(int.decode('-12'), -12);
  assert.throws(() => int.decode('1_000'), CodecError);
  assert.throws(() => int.decode('5s'), CodecError);
  assert.equal(float.decode('2.5'), 2.5);
  assert.equal(float.encode(2), '2.0');
  assert.equal(flag.decode('on'), true);
  assert.equal(flag.decode('off'), false);
  assert.equal(flag.encode(true), 'on');
  assert.throws(() => flag.decode('ON'), CodecError);
  assert.equal(bool.decode('false'), false);
  assert.throws(() => bool.decode('on'), /true or false/);
});

test('durations: our form kept, other cuttlefish forms normalised, bare numbers only where allowed', () => {
  assert.equal(duration.decode('5s'), '5s');
  assert.equal(duration.decode('60s'), '60s');
  assert.equal(duration.decode('1m30s'), '90s');
  assert.equal(duration.decode('1.5m'), '90s');
  assert.equal(duration.decode('5S'), '5s');
  assert.equal(duration.decode('.5h'), '30m');
  assert.throws(() => duration.decode('30'), CodecError);
  assert.throws(() => duration.decode('5x'), CodecError);
  assert.equal(durationMs.decode('30'), 30); // retainer.expiry_interval = 30 is 30 ms
  assert.equal(durationMs.decode('2h'), 7_200_000);
  assert.equal(durationMs.encode(5000), '5s');
  assert.equal(durationIn('s').decode('30'), '30s');
});

test('byte sizes: KB/MB/GB (any case of the pair), bare bytes; Kb and B rejected', () => {
  assert.equal(bytesize.decode('1MB'), '1MB');
  assert.equal(bytesize.decode('64kb'), '64KB');
  assert.equal(bytesize.decode('1024'), '1024B');
  assert.equal(bytesize.decode('1.5MB'), '1536KB');
  assert.throws(() => bytesize.decode('1Kb'), CodecError);
  assert.throws(() => bytesize.decode('1B'), CodecError);
  assert.equal(bytesize.encode('1024B'), '1024');
});

test('enumOf, list and mapped', () => {
  const e = enumOf('ram', 'disc');
  assert.equal(e.decode('disc'), 'disc');
  assert.throws(() => e.decode('Disc'), /ram, disc/);
  assert.deepEqual(list(str).decode('a,b, c,'), ['a', 'b', 'c']);
  assert.equal(list(int).encode([1, 2]), '1,2');
  assert.deepEqual(list(str, ' ').decode('x  y'), ['x', 'y']);
  const m = mapped({ plain: 'plain', sha: 'sha1' });
  assert.equal(m.decode('sha'), 'sha1');
  assert.equal(m.encode('sha1'), 'sha');
  assert.throws(() => m.encode('md4'), CodecError);
});

test('property: decode(encode(v)) = v', () => {
  fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => int.decode(int.encode(n)) === n));
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => Object.is(float.decode(float.encode(n)), n === 0 ? 0 : n)));
  fc.assert(fc.property(fc.nat({ max: 1e6 }), fc.constantFrom('ms', 's', 'm', 'h', 'd'), (n, u) => duration.decode(duration.encode(`${n}${u}`)) === `${n}${u}`));
  fc.assert(fc.property(fc.nat({ max: 1e12 }), (n) => durationMs.decode(durationMs.encode(n)) === n));
  fc.assert(fc.property(fc.nat({ max: 1e6 }), fc.constantFrom('B', 'KB', 'MB', 'GB'), (n, u) => bytesize.decode(bytesize.encode(`${n}${u}`)) === `${n}${u}`));
});
