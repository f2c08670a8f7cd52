// Consumer groups with kafkajs (pure JavaScript protocol code).
//
// usage: node groups_kafkajs.js TOPIC GROUP
//
// Two consumers share a 6-partition topic: the first starts alone, the
// second joins while records are being read; kafkajs commits what each
// has processed before it rejoins, so together they read 3000 records
// exactly once.  The admin client describes the group and fetches its
// offsets; a consumer started later in the group reads nothing old and
// exactly the 50 records produced after; the emptied group is deleted.
// The broker comes from $SLUICE_BOOTSTRAP.
'use strict'

const path = require('path')
const { Kafka, logLevel } = require(path.join(__dirname, 'node_modules', 'kafkajs'))
const R = require('./records.js')
const { fail, note } = R

const PARTITIONS = 6
const FIRST = 3000
const LATER = 50

function client (id) {
  return new Kafka({
    clientId: id,
    brokers: [R.bootstrap()],
    logLevel: logLevel.NOTHING,
    retry: { retries: 10 }
  })
}

async function produce (kafka, topic, start, end) {
  const p = kafka.producer()
  await p.connect()
  const messages = []
  for (let i = start; i < end; i++) {
    messages.push({ partition: i % PARTITIONS, value: 'kj' + i })
  }
  await p.send({ topic, acks: -1, messages })
  await p.disconnect()
}

// Starts a group member recording (partition, offset) of what it reads.
async function member (kafka, topic, group, seen, slow) {
  const c = kafka.consumer({
    groupId: group,
    sessionTimeout: 6000,
    heartbeatInterval: 300,
    maxBytesPerPartition: 2048
  })
  await c.connect()
  await c.subscribe({ topic, fromBeginning: true })
  await c.run({
    eachMessage: async ({ partition, message }) => {
      seen.push(partition + ':' + message.offset)
      if (slow) await new Promise(resolve => setTimeout(resolve, 1))
    }
  })
  return c
}

async function main (argv) {
  const [topic, group] = argv
  const kafka = client('groups-kafkajs')
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true })
  await produce(kafka, topic, 0, FIRST)

  const seenA = []
  const seenB = []
  const a = await member(client('kj-a'), topic, group, seenA, true)
  await R.waitUntil('the first consumer to read', () => seenA.length > 100)
  const b = await member(client('kj-b'), topic, group, seenB, true)
  await R.waitUntil('both consumers to read everything',
    () => new Set(seenA.concat(seenB)).size === FIRST, 60000)
  const desc = (await admin.describeGroups([group])).groups[0]
  if (desc.state !== 'Stable' || desc.members.length !== 2 || desc.protocolType !== 'consumer') {
    fail('DescribeGroups: ' + JSON.stringify(desc))
  }
  await new Promise(resolve => setTimeout(resolve, 1000))
  await a.disconnect()
  await b.disconnect()
  const both = seenA.concat(seenB)
  if (both.length !== new Set(both).size) {
    fail((both.length - new Set(both).size) + ' records read twice')
  }
  if (!seenA.length || !seenB.length) {
    fail('one consumer read nothing: ' + seenA.length + ' and ' + seenB.length)
  }
  note('two consumers read ' + FIRST + ' records exactly once (' + seenA.length +
       ' and ' + seenB.length + '); DescribeGroups: ' + desc.state + ', ' +
       desc.protocol + ', 2 members')

  const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] })
  const total = offsets[0].partitions.reduce((s, p) => s + Number(p.offset), 0)
  if (total !== FIRST) fail('committed offsets sum to ' + total + ': ' + JSON.stringify(offsets))

  const later = []
  const c = await member(client('kj-c'), topic, group, later, false)
  await new Promise(resolve => setTimeout(resolve, 2000))
  if (later.length) fail('a consumer of the group read ' + later.length + ' old records')
  await produce(kafka, topic, FIRST, FIRST + LATER)
  await R.waitUntil('the new records', () => later.length >= LATER)
  await new Promise(resolve => setTimeout(resolve, 500))
  if (later.length !== LATER) fail('read ' + later.length + ' records, not the ' + LATER + ' new ones')
  await c.disconnect()
  note('a consumer of the group read only the ' + LATER + ' new records')

  await admin.deleteGroups([group])
  const after = await admin.fetchOffsets({ groupId: group, topics: [topic] })
  if (after[0].partitions.some(p => p.offset !== '-1')) {
    fail('offsets remain after DeleteGroups: ' + JSON.stringify(after))
  }
  note('fetchOffsets, then deleteGroups of the emptied group')
  await admin.disconnect()
}

R.mainWrapper(main)
