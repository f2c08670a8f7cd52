// Round trip through the broker with kafkajs (pure JavaScript protocol code).
//
// usage: node kafkajs_roundtrip.js full TOPIC BASE_TS
//        node kafkajs_roundtrip.js create TOPIC | delete TOPIC
//        node kafkajs_roundtrip.js produce TOPIC BASE_TS START END ACKS CODEC
//        node kafkajs_roundtrip.js verify TOPIC BASE_TS END
//
// The scenario of confluent_roundtrip.py with kafkajs: admin create, 12,500
// records (codecs none, gzip and snappy; kafkajs has lz4/zstd only through
// native add-ons, which the librdkafka and kafka-python drivers cover), acks
// -1/1/0, byte-for-byte read-back, reads from the end, an offset and a
// timestamp, metadata, admin delete.  kafkajs consumers always use a consumer
// group, so this driver also drives the group coordinator (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup).  The broker comes from $SLUICE_BOOTSTRAP.
'use strict'

const path = require('path')
const { Kafka, logLevel, CompressionTypes, CompressionCodecs } =
  require(path.join(__dirname, 'node_modules', 'kafkajs'))
const SnappyCodec = require(path.join(__dirname, 'node_modules', 'kafkajs-snappy'))
const R = require('./records.js')
const { PARTITIONS, fail, note } = R

CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec

const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy
}
// FULL_RUNS of records.py with the codecs kafkajs has without native code.
const RUNS = [
  [-1, 'none', 3000],
  [1, 'gzip', 2000],
  [-1, 'snappy', 2000],
  [1, 'gzip', 2000],
  [-1, 'snappy', 2000],
  [0, 'none', 1500]
]
const CONSUME_TIMEOUT_MS = 60000
let groupSeq = 0

function kafkaNew () {
  return new Kafka({
    clientId: 'sluice-test-kafkajs',
    brokers: [R.bootstrap()],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8 }
  })
}

async function adminNew (kafka) {
  const admin = kafka.admin()
  await admin.connect()
  return admin
}

// Creates the topic with 4 partitions and waits until it is listed.
async function topicCreate (kafka, topic) {
  const admin = await adminNew(kafka)
  if (R.isMock()) {
    note(`mock cluster: no CreateTopics, auto-creating ${topic} instead`)
    await admin.fetchTopicMetadata({ topics: [topic] })
  } else {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 15000
    })
    if (!created) fail(`createTopics: ${topic} already existed`)
  }
  await R.waitUntil(`topic ${topic} in metadata`, async () => (await admin.listTopics()).includes(topic))
  const md = await admin.fetchTopicMetadata({ topics: [topic] })
  const n = md.topics[0].partitions.length
  if (n !== PARTITIONS) fail(`topic ${topic} has ${n} partitions, expected ${PARTITIONS}`)
  await admin.disconnect()
  note(`created ${topic} with ${n} partitions`)
}

// Deletes the topic and waits until metadata no longer lists it.
async function topicDelete (kafka, topic) {
  if (R.isMock()) {
    note('mock cluster: no DeleteTopics, deletion not checked')
    return
  }
  const admin = await adminNew(kafka)
  await admin.deleteTopics({ topics: [topic], timeout: 15000 })
  await R.waitUntil(`topic ${topic} gone from metadata`,
    async () => !(await admin.listTopics()).includes(topic))
  await admin.disconnect()
  note(`deleted ${topic}; metadata no longer lists it`)
}

// Produces records start..end-1 in batches of 500 with one producer.
async function produce (kafka, topic, baseTs, start, end, acks, codec) {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false })
  await producer.connect()
  for (let i = start; i < end;) {
    const messages = []
    for (const stop = Math.min(end, i + 500); i < stop; i++) {
      const r = R.record(i, baseTs)
      messages.push({
        partition: r.partition,
        key: r.key,
        value: r.value,
        headers: R.headersToObject(r.headers),
        timestamp: String(r.timestamp)
      })
    }
    const res = await producer.send({ topic, acks, compression: CODECS[codec], messages })
    for (const pr of res) {
      if (pr.errorCode !== 0) fail(`produce: partition ${pr.partition} error ${pr.errorCode}`)
    }
  }
  await producer.disconnect()
  note(`produced records ${start}..${end - 1} (acks=${acks}, ${codec})`)
}

// Starts a group consumer of the topic that records what it receives.
async function consumerStart (kafka, topic, fromBeginning) {
  const consumer = kafka.consumer({
    groupId: `sluice-test-kafkajs-${process.pid}-${++groupSeq}`,
    maxWaitTimeInMs: 500,
    sessionTimeout: 10000,
    heartbeatInterval: 1000
  })
  const h = { consumer, got: {}, n: 0, fetches: 0, crash: null, lastCrash: null }
  for (let p = 0; p < PARTITIONS; p++) h.got[p] = []
  consumer.on(consumer.events.FETCH, () => { h.fetches++ })
  // A crash kafkajs will not restart from fails the check at once; one it
  // restarts from is named if the check times out.
  consumer.on(consumer.events.CRASH, (e) => {
    h.lastCrash = e.payload.error
    if (!e.payload.restart) h.crash = e.payload.error
  })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning })
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        h.got[batch.partition].push({
          partition: batch.partition,
          offset: Number(m.offset),
          key: m.key,
          value: m.value,
          headers: R.headersFromObject(m.headers),
          timestamp: Number(m.timestamp)
        })
        h.n++
      }
    }
  })
  return h
}

// Waits until `want` records arrived, plus a grace period for extras.
async function consumerCollect (h, want, graceMs = 500) {
  const deadline = Date.now() + CONSUME_TIMEOUT_MS
  while (h.n < want) {
    if (h.crash) fail(`consumer crashed: ${h.crash.name}: ${h.crash.message}`)
    if (Date.now() > deadline) {
      fail(`consumed ${h.n} of ${want} records in ${CONSUME_TIMEOUT_MS / 1000} s` +
        (h.lastCrash ? ` (consumer crashed: ${h.lastCrash.message})` : ''))
    }
    await R.sleep(100)
  }
  await R.sleep(graceMs)
  await h.consumer.disconnect()
  return h.got
}

async function highWatermarks (kafka, topic) {
  const admin = await adminNew(kafka)
  const offs = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const hw = {}
  for (const o of offs) hw[o.partition] = Number(o.high)
  return hw
}

// Checks that the topic holds exactly records 0..end-1.
async function verify (kafka, topic, baseTs, end) {
  const want = R.expectedByPartition(0, end, baseTs)
  const h = await consumerStart(kafka, topic, true)
  R.compareAll(await consumerCollect(h, end), want)
  const hw = await highWatermarks(kafka, topic)
  for (let p = 0; p < PARTITIONS; p++) {
    if (hw[p] !== want[p].length) fail(`partition ${p}: high watermark ${hw[p]}, expected ${want[p].length}`)
  }
  note(`read back ${end} records from the beginning: keys, values, headers, ` +
    'timestamps, partitions, contiguous offsets all match')
  return want
}

// A new group starting at the latest offsets gets exactly the new records.
async function checkFromEnd (kafka, topic, baseTs, start, want) {
  const h = await consumerStart(kafka, topic, false)
  // A completed fetch means the group resolved its start offsets.
  await R.waitUntil('the first fetch of the consumer at the end', () => {
    if (h.crash) fail(`consumer crashed: ${h.crash.name}: ${h.crash.message}`)
    return h.fetches > 0
  })
  const end = start + R.TAIL_COUNT
  await produce(kafka, topic, baseTs, start, end, -1, 'none')
  const got = await consumerCollect(h, R.TAIL_COUNT, 1000)
  const tail = R.expectedByPartition(start, end, baseTs)
  const first = {}
  for (let p = 0; p < PARTITIONS; p++) first[p] = want[p].length
  R.compareAll(got, tail, first)
  for (let p = 0; p < PARTITIONS; p++) want[p].push(...tail[p])
  note(`consumer at the end got exactly the ${R.TAIL_COUNT} new records`)
}

// seek() to an offset of partition 1; only that partition's tail arrives.
async function checkFromOffset (kafka, topic, want) {
  const part = 1
  const off = Math.floor(want[part].length / 2)
  const h = await consumerStart(kafka, topic, false)
  h.consumer.seek({ topic, partition: part, offset: String(off) })
  const got = await consumerCollect(h, want[part].length - off)
  for (let p = 0; p < PARTITIONS; p++) {
    if (p !== part && got[p].length) fail(`partition ${p} delivered ${got[p].length} records after seeking ${part}`)
  }
  R.comparePartition(part, got[part], want[part].slice(off), off)
  note(`read partition ${part} from offset ${off}: ${want[part].length - off} records match`)
}

// fetchTopicOffsetsByTimestamp for several timestamps, then read from one.
async function checkFromTimestamp (kafka, topic, baseTs, want) {
  if (R.isMock()) {
    note('mock cluster: ListOffsets by timestamp unsupported, skipped')
    return
  }
  const part = 3
  const j = Math.floor(want[part].length / 3)
  const probes = [want[part][j].timestamp, want[part][j].timestamp + 3,
    baseTs - 1000, want[part][want[part].length - 1].timestamp + 3600 * 1000]
  const admin = await adminNew(kafka)
  for (const ts of probes) {
    const res = await admin.fetchTopicOffsetsByTimestamp(topic, ts)
    if (res.length !== PARTITIONS) fail(`offsets by timestamp: ${res.length} partitions`)
    for (const { partition, offset } of res) {
      // kafkajs answers "no such record" with the high watermark.
      let exp = want[partition].findIndex((r) => r.timestamp >= ts)
      if (exp < 0) exp = want[partition].length
      if (Number(offset) !== exp) {
        fail(`offsets by timestamp ${ts} partition ${partition}: ${offset}, expected ${exp}`)
      }
    }
  }
  await admin.disconnect()
  const h = await consumerStart(kafka, topic, false)
  h.consumer.seek({ topic, partition: part, offset: String(j) })
  const got = await consumerCollect(h, want[part].length - j)
  R.comparePartition(part, got[part], want[part].slice(j), j)
  note('offsets by timestamp: exact, between, before-first and future ' +
    'timestamps give the right offsets; reading from there matches')
}

async function checkMetadata (kafka, topic) {
  const admin = await adminNew(kafka)
  const cluster = await admin.describeCluster()
  const md = await admin.fetchTopicMetadata({ topics: [topic] })
  await admin.disconnect()
  const [host, port] = R.bootstrap().split(':')
  if (!cluster.brokers.some((b) => b.host === host && b.port === Number(port))) {
    fail(`metadata brokers ${JSON.stringify(cluster.brokers)} do not include the bootstrap`)
  }
  const ids = new Set(cluster.brokers.map((b) => b.nodeId))
  const parts = md.topics[0].partitions
  const idsSorted = parts.map((p) => p.partitionId).sort((a, b) => a - b)
  if (JSON.stringify(idsSorted) !== JSON.stringify([0, 1, 2, 3])) fail(`metadata: partitions ${idsSorted}`)
  for (const p of parts) {
    if (p.partitionErrorCode !== 0 || !ids.has(p.leader)) fail(`metadata: partition ${JSON.stringify(p)}`)
  }
  note(`metadata lists the broker at the bootstrap address and ${topic} with ${PARTITIONS} led partitions`)
}

async function full (kafka, topic, baseTs) {
  await topicCreate(kafka, topic)
  await checkMetadata(kafka, topic)
  let start = 0
  for (const [acks, codec, count] of RUNS) {
    await produce(kafka, topic, baseTs, start, start + count, acks, codec)
    start += count
  }
  const want = await verify(kafka, topic, baseTs, start)
  await checkFromEnd(kafka, topic, baseTs, start, want)
  await checkFromOffset(kafka, topic, want)
  await checkFromTimestamp(kafka, topic, baseTs, want)
  await topicDelete(kafka, topic)
}

async function main (argv) {
  const kafka = kafkaNew()
  const [cmd, ...a] = argv
  if (cmd === 'full' && a.length === 2) {
    await full(kafka, a[0], Number(a[1]))
  } else if (cmd === 'create' && a.length === 1) {
    await topicCreate(kafka, a[0])
    await checkMetadata(kafka, a[0])
  } else if (cmd === 'delete' && a.length === 1) {
    await topicDelete(kafka, a[0])
  } else if (cmd === 'produce' && a.length === 6) {
    if (!(a[5] in CODECS)) fail(`codec ${a[5]} is not one of ${Object.keys(CODECS)}`)
    await produce(kafka, a[0], Number(a[1]), Number(a[2]), Number(a[3]), Number(a[4]), a[5])
  } else if (cmd === 'verify' && a.length === 3) {
    await verify(kafka, a[0], Number(a[1]), Number(a[2]))
  } else {
    fail(`bad arguments ${argv}`)
  }
}

R.mainWrapper(main)
