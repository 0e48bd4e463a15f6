// Prints the CIDs that the JS UnixFS importer, configured as Kubo's `ipfs add
// --cid-version=1` (256 KiB fixed chunks, raw leaves, balanced DAG of at most 174 links),
// gives for the test vectors defined in ../../crates/server/tests/vectors/cids.json.
// Usage: node vectors.mjs VECTORS.json  →  JSON {name: cid} on stdout.
import { readFileSync } from 'node:fs'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { vectorBytes } from './pattern.mjs'

export const KUBO = {
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: 262144 }),
  layout: balanced({ maxChildrenPerNode: 174 })
}

export async function cidOf (bytes, blockstore = new MemoryBlockstore()) {
  let root
  for await (const entry of importer([{ content: bytes }], blockstore, KUBO)) root = entry.cid
  return root
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'))
  const out = {}
  for (const v of spec.vectors) out[v.name] = (await cidOf(vectorBytes(v))).toString()
  console.log(JSON.stringify(out, null, 2))
}
