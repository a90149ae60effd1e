// @ts-check
// Binary arrays from the kernel: {shape, dtype, data} with data a DataView or ArrayBuffer.
// The mirror of multiverseg_widget/widget/codec.py; no base64, no JSON lists.

/** @import { EncodedArray } from "./protocol.js" */

/**
 * @typedef {Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
 *   | Float32Array} TypedArray
 */
/**
 * @typedef {{
 *   new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray,
 *   new (buffer: ArrayBufferLike): TypedArray,
 *   BYTES_PER_ELEMENT: number,
 * }} TypedArrayClass
 */
/**
 * A decoded array: raw values in row-major order.
 * @typedef {{shape: number[], dtype: string, data: TypedArray}} Decoded
 */

/** @type {Record<string, TypedArrayClass>} */
const TYPED = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
};

/**
 * Decode {shape, dtype, data} into {shape, dtype, data: TypedArray} (a view, no copy when aligned).
 * @param {EncodedArray} encoded
 * @returns {Decoded}
 */
export function decodeArray(encoded) {
  const Typed = TYPED[encoded.dtype];
  if (!Typed) throw new Error(`unsupported dtype ${encoded.dtype}`);
  const raw = encoded.data;
  const buffer = raw instanceof ArrayBuffer ? raw : raw.buffer;
  const offset = raw instanceof ArrayBuffer ? 0 : raw.byteOffset;
  const bytes = raw.byteLength;
  const count = encoded.shape.reduce((a, b) => a * b, 1);
  if (bytes !== count * Typed.BYTES_PER_ELEMENT) {
    throw new Error(`${bytes} bytes do not hold ${encoded.dtype} of shape ${encoded.shape}`);
  }
  const data =
    offset % Typed.BYTES_PER_ELEMENT === 0
      ? new Typed(buffer, offset, count)
      : new Typed(buffer.slice(offset, offset + bytes));
  return { shape: [...encoded.shape], dtype: encoded.dtype, data };
}
