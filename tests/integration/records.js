// The integration tests' record set for the Node.js driver: the same
// definition as records.py and rdkafka_roundtrip.c (keep them identical), so
// any client can check byte for byte what any other client produced.
'use strict'

const PARTITIONS = 4
// Records produced after a consumer was positioned at the end.
const TAIL_COUNT = 100

class CheckFailed extends Error {}

// Throws a failed check; the driver prints it and exits 1.
function fail (msg) {
  throw new CheckFailed(msg)
}

// Prints one progress line of the test log.
function note (msg) {
  console.log('  ' + msg)
}

// Returns expected record i: key null for i%10==3, value null for i%50==49,
// empty for i%10==7, binary bytes after a text prefix; headers as a list.
function record (i, baseTs) {
  const key = i % 10 === 3 ? null : Buffer.from(`key-${i}`)
  let value
  if (i % 50 === 49) {
    value = null
  } else if (i % 10 === 7) {
    value = Buffer.alloc(0)
  } else {
    const tail = Buffer.alloc(i % 61)
    for (let j = 0; j < tail.length; j++) tail[j] = (i * 131 + j * 29) & 0xff
    value = Buffer.concat([Buffer.from(`value-${i}-`), tail])
  }
  let headers = []
  if (i % 5 !== 0) {
    headers = [['seq', Buffer.from(`${i}`)], ['bin', Buffer.from([i & 0xff, 0x00, 0xff])]]
    if (i % 5 === 2) {
      headers.push(['dup', Buffer.from('a')], ['dup', Buffer.from('b')], ['empty', Buffer.alloc(0)])
    }
  }
  return { partition: i % PARTITIONS, key, value, headers, timestamp: baseTs + i }
}

// Returns {partition: [record]} for records start..end-1 in offset order.
function expectedByPartition (start, end, baseTs) {
  const out = {}
  for (let p = 0; p < PARTITIONS; p++) out[p] = []
  for (let i = start; i < end; i++) {
    const r = record(i, baseTs)
    out[r.partition].push(r)
  }
  return out
}

// kafkajs wants headers as an object, repeated keys as an array of values.
function headersToObject (list) {
  const obj = {}
  for (const [k, v] of list) {
    if (!(k in obj)) obj[k] = v
    else if (Array.isArray(obj[k])) obj[k].push(v)
    else obj[k] = [obj[k], v]
  }
  return obj
}

// The inverse of headersToObject for consumed messages.
function headersFromObject (obj) {
  const list = []
  for (const k of Object.keys(obj || {})) {
    const vs = Array.isArray(obj[k]) ? obj[k] : [obj[k]]
    for (const v of vs) list.push([k, v])
  }
  return list
}

function bufEq (a, b) {
  if (a === null || b === null) return a === b
  return Buffer.compare(a, b) === 0
}

function show (b) {
  return b === null ? 'null' : JSON.stringify(b.toString('latin1').slice(0, 40))
}

// Checks consumed records of one partition against the expected ones,
// field by field, with offsets firstOffset, firstOffset+1, ...
function comparePartition (part, got, want, firstOffset) {
  if (got.length !== want.length) {
    fail(`partition ${part}: consumed ${got.length} records, expected ${want.length}`)
  }
  for (let n = 0; n < got.length; n++) {
    const g = got[n]
    const w = want[n]
    const where = `partition ${part} record ${n} (offset ${g.offset})`
    if (g.partition !== part) fail(`${where}: came from partition ${g.partition}`)
    if (g.offset !== firstOffset + n) {
      fail(`${where}: offset ${g.offset}, expected ${firstOffset + n} (not contiguous)`)
    }
    if (!bufEq(g.key, w.key)) fail(`${where}: key ${show(g.key)}, expected ${show(w.key)}`)
    if (!bufEq(g.value, w.value)) fail(`${where}: value ${show(g.value)}, expected ${show(w.value)}`)
    const gh = g.headers
    const wh = w.headers
    const same = gh.length === wh.length &&
      gh.every(([k, v], x) => k === wh[x][0] && bufEq(v, wh[x][1]))
    if (!same) {
      fail(`${where}: headers ${JSON.stringify(gh.map(([k, v]) => [k, show(v)]))}, ` +
        `expected ${JSON.stringify(wh.map(([k, v]) => [k, show(v)]))}`)
    }
    if (g.timestamp !== w.timestamp) fail(`${where}: timestamp ${g.timestamp}, expected ${w.timestamp}`)
  }
}

// comparePartition for every partition; firstOffsets defaults to 0.
function compareAll (gotByPart, wantByPart, firstOffsets) {
  for (let p = 0; p < PARTITIONS; p++) {
    comparePartition(p, gotByPart[p] || [], wantByPart[p], firstOffsets ? firstOffsets[p] : 0)
  }
}

// The bootstrap address that lib.sh exported.
function bootstrap () {
  const b = process.env.SLUICE_BOOTSTRAP
  if (!b) fail('SLUICE_BOOTSTRAP is not set (run through lib.sh)')
  return b
}

// True against librdkafka's mock cluster (no CreateTopics/DeleteTopics).
function isMock () {
  return process.env.SLUICE_MOCK === '1'
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Polls fn() until it returns a true value; fails after timeoutMs.
async function waitUntil (what, fn, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) fail(`timed out after ${timeoutMs / 1000}s waiting for ${what}`)
    await sleep(200)
  }
}

// Runs a driver's main, turning a failed check into exit status 1.
function mainWrapper (fn) {
  fn(process.argv.slice(2)).then(() => process.exit(0), (e) => {
    console.log(e instanceof CheckFailed ? `FAIL: ${e.message}` : `FAIL: ${e.stack || e}`)
    process.exit(1)
  })
}

module.exports = {
  PARTITIONS,
  TAIL_COUNT,
  fail,
  note,
  record,
  expectedByPartition,
  headersToObject,
  headersFromObject,
  comparePartition,
  compareAll,
  bootstrap,
  isMock,
  sleep,
  waitUntil,
  mainWrapper
}
