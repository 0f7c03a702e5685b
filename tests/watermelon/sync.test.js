// A stock WatermelonDB client (0.28, LokiJS adapter in memory, one Database per simulated
// device) syncing with the real pain-journal server at PJ_BASE_URL. Run by the Rust test
// `watermelon` (tests/api/watermelon.rs), which starts the server on a fresh database of each
// engine; or by hand: PJ_BASE_URL=http://127.0.0.1:8080 npm test
'use strict'

const { test, after } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { Database, Model, appSchema, tableSchema } = require('@nozbe/watermelondb')
const LokiJSAdapter = require('@nozbe/watermelondb/adapters/lokijs').default
const { synchronize } = require('@nozbe/watermelondb/sync')

const BASE = process.env.PJ_BASE_URL
if (!BASE) {
  throw new Error('set PJ_BASE_URL to a running pain-journal server')
}
const PASSWORD = 'correct horse battery staple'

// ---- the app's local schema: every synced table, columns as the server sends them --------

const schema = appSchema({
  version: 1,
  tables: [
    tableSchema({
      name: 'pain_entries',
      columns: [
        { name: 'recorded_at', type: 'number' },
        { name: 'local_date', type: 'string', isOptional: true },
        { name: 'intensity', type: 'number' },
        { name: 'back_pain', type: 'number', isOptional: true },
        { name: 'leg_pain', type: 'number', isOptional: true },
        { name: 'regions', type: 'string' },
        { name: 'qualities', type: 'string' },
        { name: 'triggers', type: 'string' },
        { name: 'notes', type: 'string', isOptional: true },
      ],
    }),
    tableSchema({
      name: 'medications',
      columns: [
        { name: 'name', type: 'string' },
        { name: 'drug_class', type: 'string' },
        { name: 'opioid', type: 'string', isOptional: true },
        { name: 'strength', type: 'number' },
        { name: 'strength_unit', type: 'string' },
        { name: 'form', type: 'string' },
        { name: 'active', type: 'boolean' },
      ],
    }),
    tableSchema({
      name: 'medication_intakes',
      columns: [
        { name: 'medication_id', type: 'string', isIndexed: true },
        { name: 'taken_at', type: 'number' },
        { name: 'local_date', type: 'string', isOptional: true },
        { name: 'quantity', type: 'number' },
        { name: 'notes', type: 'string', isOptional: true },
        { name: 'dose_mg', type: 'number', isOptional: true },
        { name: 'mme', type: 'number', isOptional: true },
        { name: 'mme_table', type: 'string', isOptional: true },
      ],
    }),
    tableSchema({
      name: 'massage_sessions',
      columns: [
        { name: 'started_at', type: 'number' },
        { name: 'local_date', type: 'string', isOptional: true },
        { name: 'duration_min', type: 'number' },
        { name: 'kind', type: 'string' },
        { name: 'pressure', type: 'string', isOptional: true },
        { name: 'therapist', type: 'string', isOptional: true },
        { name: 'regions', type: 'string' },
        { name: 'pain_before', type: 'number', isOptional: true },
        { name: 'pain_after', type: 'number', isOptional: true },
        { name: 'soreness_next_day', type: 'number', isOptional: true },
        { name: 'notes', type: 'string', isOptional: true },
      ],
    }),
    tableSchema({
      name: 'check_ins',
      columns: [
        { name: 'answered_at', type: 'number' },
        { name: 'local_date', type: 'string', isOptional: true },
        { name: 'kind', type: 'string' },
        { name: 'items', type: 'string' },
        { name: 'score', type: 'number', isOptional: true },
      ],
    }),
  ],
})

class PainEntry extends Model {
  static table = 'pain_entries'
}
class Medication extends Model {
  static table = 'medications'
}
class MedicationIntake extends Model {
  static table = 'medication_intakes'
}
class MassageSession extends Model {
  static table = 'massage_sessions'
}
class CheckIn extends Model {
  static table = 'check_ins'
}

let deviceCount = 0
function newDevice() {
  deviceCount += 1
  const adapter = new LokiJSAdapter({
    schema,
    dbName: `device-${process.pid}-${deviceCount}`,
    useWebWorker: false,
    useIncrementalIndexedDB: true,
    extraLokiOptions: { autosave: false },
  })
  return new Database({
    adapter,
    modelClasses: [PainEntry, Medication, MedicationIntake, MassageSession, CheckIn],
  })
}

// ---- the server ----------------------------------------------------------------------------

async function json(response) {
  const text = await response.text()
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

let userCount = 0
async function newUser() {
  userCount += 1
  const email = `wm-${process.pid}-${userCount}@example.com`
  const headers = { 'content-type': 'application/json' }
  const registered = await fetch(`${BASE}/v1/auth/register`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email, password: PASSWORD, timezone: 'Europe/Berlin' }),
  })
  assert.equal(registered.status, 201, await registered.text())
  const login = await fetch(`${BASE}/v1/auth/login`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ email, password: PASSWORD, device_name: 'watermelon test' }),
  })
  assert.equal(login.status, 200)
  return (await login.json()).access_token
}

function rest(token) {
  const call = async (method, path, body) => {
    const response = await fetch(`${BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: response.status, body: await json(response) }
  }
  return {
    get: (path) => call('GET', path),
    patch: (path, body) => call('PATCH', path, body),
    post: (path, body) => call('POST', path, body),
  }
}

class ConflictError extends Error {}

/**
 * The app's sync: one `synchronize()` per page while the server says `has_more`, and one
 * retry when a push conflicts (409: the next synchronize pulls, merges and pushes again).
 * `options.base` lets a test route through a proxy; `options.beforePush` runs a hook.
 */
async function sync(db, token, options = {}) {
  const base = options.base ?? BASE
  const limit = options.limit
  for (let attempt = 0; ; attempt += 1) {
    try {
      let hasMore = true
      while (hasMore) {
        hasMore = false
        await synchronize({
          database: db,
          sendCreatedAsUpdated: true,
          pullChanges: async ({ lastPulledAt, schemaVersion, migration }) => {
            const params = new URLSearchParams({
              last_pulled_at: String(lastPulledAt ?? 0),
              schema_version: String(schemaVersion),
              migration: JSON.stringify(migration ?? null),
            })
            if (limit) params.set('limit', String(limit))
            const response = await fetch(`${base}/v1/sync?${params}`, {
              headers: { authorization: `Bearer ${token}` },
            })
            if (!response.ok) throw new Error(`pull answered ${response.status}`)
            const body = await response.json()
            hasMore = body.has_more
            return { changes: body.changes, timestamp: body.timestamp }
          },
          pushChanges: async ({ changes, lastPulledAt }) => {
            if (options.beforePush) await options.beforePush()
            const response = await fetch(`${base}/v1/sync?last_pulled_at=${lastPulledAt}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ changes }),
            })
            if (response.status === 409) throw new ConflictError(await response.text())
            if (!response.ok) throw new Error(`push answered ${response.status}: ${await response.text()}`)
            const body = await response.json()
            if (options.onPushResult) options.onPushResult(body)
            return { experimentalRejectedIds: body.experimentalRejectedIds }
          },
        })
      }
      return
    } catch (error) {
      const retryable = error instanceof ConflictError || options.retryNetworkErrors
      if (!retryable || attempt >= 2) throw error
      if (options.onRetry) options.onRetry(error)
    }
  }
}

// ---- local helpers --------------------------------------------------------------------------

const DAY = 24 * 3600 * 1000
const T0 = Date.parse('2026-11-20T08:00:00Z')

async function createPain(db, fields) {
  let record
  await db.write(async () => {
    record = await db.get('pain_entries').create((r) => {
      r._setRaw('recorded_at', fields.recorded_at ?? T0)
      r._setRaw('intensity', fields.intensity ?? 5)
      r._setRaw('regions', fields.regions ?? '["lower_back"]')
      r._setRaw('qualities', '[]')
      r._setRaw('triggers', '[]')
      if (fields.notes !== undefined) r._setRaw('notes', fields.notes)
    })
  })
  return record.id
}

async function editPain(db, id, fields) {
  await db.write(async () => {
    const record = await db.get('pain_entries').find(id)
    await record.update((r) => {
      for (const [key, value] of Object.entries(fields)) r._setRaw(key, value)
    })
  })
}

async function deletePain(db, id) {
  await db.write(async () => {
    const record = await db.get('pain_entries').find(id)
    await record.markAsDeleted()
  })
}

async function localRaw(db, table, id) {
  try {
    return (await db.get(table).find(id))._raw
  } catch {
    return null
  }
}

async function localCount(db, table) {
  return db.get(table).query().fetchCount()
}

// ---- scenarios ----------------------------------------------------------------------------

test('two devices edit different fields offline: both edits survive', async () => {
  const token = await newUser()
  const phone = newDevice()
  const tablet = newDevice()
  const id = await createPain(phone, { intensity: 6, notes: 'morning' })
  await sync(phone, token)
  await sync(tablet, token)
  assert.equal((await localRaw(tablet, 'pain_entries', id)).intensity, 6)

  // Offline, each device changes a different field.
  await editPain(phone, id, { intensity: 3 })
  await editPain(tablet, id, { notes: 'better after walking' })
  await sync(phone, token)
  await sync(tablet, token)
  await sync(phone, token)

  for (const device of [phone, tablet]) {
    const raw = await localRaw(device, 'pain_entries', id)
    assert.equal(raw.intensity, 3)
    assert.equal(raw.notes, 'better after walking')
    assert.equal(raw._status, 'synced')
  }
  const server = await rest(token).get(`/v1/pain-entries/${id}`)
  assert.equal(server.body.intensity, 3)
  assert.equal(server.body.notes, 'better after walking')
})

for (const order of ['edit first', 'delete first']) {
  test(`one device deletes while another edits (${order}): the deletion wins everywhere`, async () => {
    const token = await newUser()
    const phone = newDevice()
    const tablet = newDevice()
    const id = await createPain(phone, { intensity: 6 })
    await sync(phone, token)
    await sync(tablet, token)

    await deletePain(phone, id)
    await editPain(tablet, id, { intensity: 9 })
    if (order === 'edit first') {
      await sync(tablet, token)
      await sync(phone, token)
    } else {
      await sync(phone, token)
      await sync(tablet, token)
    }
    // Two more rounds: nothing brings the entry back.
    for (let round = 0; round < 2; round += 1) {
      await sync(phone, token)
      await sync(tablet, token)
    }
    assert.equal(await localRaw(phone, 'pain_entries', id), null)
    assert.equal(await localRaw(tablet, 'pain_entries', id), null)
    assert.equal((await rest(token).get(`/v1/pain-entries/${id}`)).status, 404)
    const list = await rest(token).get('/v1/pain-entries')
    assert.equal(list.body.items.length, 0)
    // A brand-new device never sees it either.
    const fresh = newDevice()
    await sync(fresh, token)
    assert.equal(await localCount(fresh, 'pain_entries'), 0)
  })
}

test('the server applies a push but the answer is lost: the retry creates no duplicate', async () => {
  const token = await newUser()
  const phone = newDevice()
  // A proxy in front of the server that forwards the first push and then drops its answer.
  let dropped = 0
  const proxy = http.createServer((req, res) => {
    const target = new URL(req.url, BASE)
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      const upstream = await fetch(target, {
        method: req.method,
        headers: { authorization: req.headers.authorization, 'content-type': req.headers['content-type'] ?? 'application/json' },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
      })
      const body = Buffer.from(await upstream.arrayBuffer())
      if (req.method === 'POST' && dropped === 0) {
        dropped += 1
        req.socket.destroy() // the server has committed; the phone never hears of it
        return
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' })
      res.end(body)
    })
  })
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${proxy.address().port}`
  try {
    const ids = []
    for (let i = 0; i < 5; i += 1) ids.push(await createPain(phone, { intensity: i, recorded_at: T0 + i * DAY }))
    let retries = 0
    await sync(phone, token, { base, retryNetworkErrors: true, onRetry: () => (retries += 1) })
    assert.equal(dropped, 1)
    assert.equal(retries, 1)
    await sync(phone, token, { base })

    const list = await rest(token).get('/v1/pain-entries')
    assert.deepEqual(list.body.items.map((i) => i.id).sort(), [...ids].sort())
    assert.equal(await localCount(phone, 'pain_entries'), 5)
    for (const id of ids) assert.equal((await localRaw(phone, 'pain_entries', id))._status, 'synced')
  } finally {
    proxy.close()
  }
})

test('an edit lands on the server between pull and push: 409, then convergence', async () => {
  const token = await newUser()
  const phone = newDevice()
  const id = await createPain(phone, { intensity: 6 })
  await sync(phone, token)

  await editPain(phone, id, { intensity: 2 })
  let conflicts = 0
  let edited = false
  await sync(phone, token, {
    beforePush: async () => {
      if (edited) return
      edited = true
      // The web app (another client) writes between this device's pull and push.
      const response = await rest(token).patch(`/v1/pain-entries/${id}`, { notes: 'from the web' })
      assert.equal(response.status, 200)
    },
    onRetry: (error) => {
      assert.ok(error instanceof ConflictError)
      conflicts += 1
    },
  })
  assert.equal(conflicts, 1)
  const raw = await localRaw(phone, 'pain_entries', id)
  assert.equal(raw.intensity, 2)
  assert.equal(raw.notes, 'from the web')
  assert.equal(raw._status, 'synced')
  const server = (await rest(token).get(`/v1/pain-entries/${id}`)).body
  assert.equal(server.intensity, 2)
  assert.equal(server.notes, 'from the web')
})

test('a first sync of a five-year journal pages through ~15k rows', async () => {
  const token = await newUser()
  // Another device recorded five years: medications, intakes, pain twice a day, massages.
  const days = 5 * 365
  const meds = [
    { id: 'ibu', name: 'Ibuprofen 400', drug_class: 'nsaid', strength: 400, strength_unit: 'mg', form: 'tablet', active: true },
    { id: 'oxy', name: 'Oxycodone 5', drug_class: 'opioid', opioid: 'oxycodone', strength: 5, strength_unit: 'mg', form: 'tablet', active: true },
  ]
  const pain = []
  const intakes = []
  const massages = []
  for (let d = 0; d < days; d += 1) {
    for (let k = 0; k < 6; k += 1) {
      pain.push({ id: `p${d}-${k}`, recorded_at: T0 - d * DAY + k * 2 * 3600e3, intensity: (d + k) % 11, regions: '[]', qualities: '[]', triggers: '[]' })
    }
    intakes.push({ id: `i${d}-a`, medication_id: 'ibu', taken_at: T0 - d * DAY, quantity: 1 })
    intakes.push({ id: `i${d}-b`, medication_id: d % 3 ? 'ibu' : 'oxy', taken_at: T0 - d * DAY + 6 * 3600e3, quantity: 1 })
    if (d % 7 === 0) massages.push({ id: `m${d}`, started_at: T0 - d * DAY, duration_min: 60, kind: 'swedish', regions: '[]' })
  }
  const total = meds.length + pain.length + intakes.length + massages.length
  assert.ok(total > 14000, `${total} rows`)
  const api = rest(token)
  const seed = async (changes) => {
    const response = await api.post('/v1/sync?last_pulled_at=0', { changes })
    assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 300))
    assert.deepEqual(response.body.experimentalRejectedIds, {})
  }
  await seed({ medications: { created: meds, updated: [], deleted: [] } })
  for (const [table, rows] of [['pain_entries', pain], ['medication_intakes', intakes], ['massage_sessions', massages]]) {
    for (let i = 0; i < rows.length; i += 1000) {
      await seed({ [table]: { created: rows.slice(i, i + 1000), updated: [], deleted: [] } })
    }
  }

  const phone = newDevice()
  const started = Date.now()
  let pages = 0
  const originalFetch = global.fetch
  global.fetch = (url, init) => {
    if (String(url).includes('/v1/sync?') && !(init && init.method === 'POST')) pages += 1
    return originalFetch(url, init)
  }
  try {
    await sync(phone, token, { limit: 5000 })
  } finally {
    global.fetch = originalFetch
  }
  assert.ok(pages >= 3, `${pages} pages`)
  assert.equal(await localCount(phone, 'medications'), meds.length)
  assert.equal(await localCount(phone, 'pain_entries'), pain.length)
  assert.equal(await localCount(phone, 'medication_intakes'), intakes.length)
  assert.equal(await localCount(phone, 'massage_sessions'), massages.length)
  const oxy = await localRaw(phone, 'medication_intakes', 'i0-b')
  assert.equal(oxy.mme, 7.5)
  console.log(`# first sync of ${total} rows in ${pages} pages took ${Date.now() - started} ms`)
})

test('a record with an invalid value is rejected by id; the rest sync', async () => {
  const token = await newUser()
  const phone = newDevice()
  const good = await createPain(phone, { intensity: 4 })
  const bad = await createPain(phone, { intensity: 15 })
  const results = []
  await sync(phone, token, { onPushResult: (body) => results.push(body) })
  assert.deepEqual(results[0].experimentalRejectedIds, { pain_entries: [bad] })
  assert.equal(results[0].rejected[0].field, 'intensity')

  assert.equal((await rest(token).get(`/v1/pain-entries/${good}`)).status, 200)
  assert.equal((await rest(token).get(`/v1/pain-entries/${bad}`)).status, 404)
  assert.equal((await localRaw(phone, 'pain_entries', good))._status, 'synced')
  // The rejected one stays on the phone, unsynced, for the user to fix.
  assert.equal((await localRaw(phone, 'pain_entries', bad))._status, 'created')
  await editPain(phone, bad, { intensity: 10 })
  await sync(phone, token)
  assert.equal((await rest(token).get(`/v1/pain-entries/${bad}`)).body.intensity, 10)
  assert.equal((await localRaw(phone, 'pain_entries', bad))._status, 'synced')
})

after(() => {
  // Loki keeps timers; the databases are in memory, so just end.
  setImmediate(() => process.exit(process.exitCode ?? 0))
})
