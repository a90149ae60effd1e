import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeArray } from "../../js/codec.js";

test("decodes a DataView into a typed view of the right dtype and shape", () => {
  const buffer = new ArrayBuffer(4 + 6 * 2);
  new Uint16Array(buffer, 4, 6).set([0, 1, 2, 1000, 65535, 7]);
  const out = decodeArray({ shape: [2, 3], dtype: "uint16", data: new DataView(buffer, 4, 12) });
  assert.deepEqual(out.shape, [2, 3]);
  assert.deepEqual([...out.data], [0, 1, 2, 1000, 65535, 7]);
  assert.equal(out.data.buffer, buffer); // no copy when aligned
});

test("copies when the bytes are not aligned for the dtype", () => {
  const buffer = new ArrayBuffer(9);
  const view = new DataView(buffer, 1, 8);
  view.setFloat32(0, 1.5, true);
  view.setFloat32(4, -2, true);
  const out = decodeArray({ shape: [2], dtype: "float32", data: view });
  assert.deepEqual([...out.data], [1.5, -2]);
});

test("refuses unknown dtypes and sizes that do not match the shape", () => {
  assert.throws(() => decodeArray({ shape: [1], dtype: "float16", data: new ArrayBuffer(2) }), /unsupported/);
  assert.throws(() => decodeArray({ shape: [3], dtype: "uint8", data: new ArrayBuffer(2) }), /do not hold/);
});
