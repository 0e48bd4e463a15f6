// The bytes of a test vector; must match `vector_bytes` in the Rust tests.
//   {"text": "..."}                      the UTF-8 text
//   {"size": N, "fill": "pattern"}       byte i = i mod 251 (no two chunks alike)
//   {"size": N, "fill": "zeros"}         N zero bytes (every chunk alike)
export function vectorBytes (v) {
  if (v.text !== undefined) return new TextEncoder().encode(v.text)
  const b = new Uint8Array(v.size)
  if (v.fill === 'pattern') for (let i = 0; i < v.size; i++) b[i] = i % 251
  return b
}
