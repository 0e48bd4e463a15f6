// Checks a CAR export with independent tooling: one root equal to the expected CID,
// every block's bytes hash to its CID, no block twice, exactly the blocks of the file's
// DAG, and the file unpacks byte-exact.
// Usage: node check-car.mjs FILE.car ORIGINAL EXPECTED_ROOT_CID  (exit 0 = good)
import { readFileSync } from 'node:fs'
import { CarReader } from '@ipld/car'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import { sha256 } from 'multiformats/hashes/sha2'
import { cidOf } from './vectors.mjs'

const [carPath, originalPath, expectedRoot] = process.argv.slice(2)
const fail = (msg) => { console.error(`check-car: ${msg}`); process.exit(1) }

const reader = await CarReader.fromBytes(readFileSync(carPath))
const roots = (await reader.getRoots()).map(String)
if (roots.length !== 1 || roots[0] !== expectedRoot) fail(`roots ${roots} != [${expectedRoot}]`)

// Blockstores key blocks by multihash, so blocks are compared by multihash too.
const mh = (cid) => Buffer.from(cid.multihash.bytes).toString('hex')
const store = new MemoryBlockstore()
const seen = new Set()
for await (const { cid, bytes } of reader.blocks()) {
  const key = mh(cid)
  if (seen.has(key)) fail(`block ${key} appears twice`)
  seen.add(key)
  const digest = await sha256.digest(bytes)
  if (!equal(digest.digest, cid.multihash.digest)) fail(`block ${key} does not hash to its CID`)
  await store.put(cid, bytes)
}

const original = readFileSync(originalPath)
const reference = new MemoryBlockstore()
const refRoot = await cidOf(original, reference)
if (refRoot.toString() !== expectedRoot) fail(`independent CID ${refRoot} != ${expectedRoot}`)
const expected = new Set()
for await (const { cid } of reference.getAll()) expected.add(mh(cid))
for (const k of expected) if (!seen.has(k)) fail(`missing block ${k}`)
for (const k of seen) if (!expected.has(k)) fail(`extra block ${k}`)

const entry = await exporter(expectedRoot, store)
const chunks = []
for await (const c of entry.content()) chunks.push(c)
const unpacked = Buffer.concat(chunks)
if (!unpacked.equals(original)) fail(`unpacked ${unpacked.length} bytes differ from the original ${original.length}`)
console.log(`ok ${carPath}: ${seen.size} blocks, ${unpacked.length} bytes`)

function equal (a, b) { return a.length === b.length && a.every((x, i) => x === b[i]) }
