// The README's first command, run the way a newcomer runs it: through `cargo run`, with
// the environment as it is (cargo adds its own variables for the program it starts, and
// a build script's `rustc-env` among them). Every other test starts the binary with a
// filtered environment, which once hid a build-time `RELAIS_*` variable that made Relais
// refuse to start. The debug profile is used so that CI builds nothing twice; the release
// profile differs only in optimisation.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './harness.mjs'

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..')
const manifest = path.join(repo, 'Cargo.toml')


/// `cargo run -- ARGS` in `cwd`, with this process's environment plus `extra`.
function cargoRun(cwd, args, extra = {}) {
  const child = spawn('cargo', ['run', '--quiet', '--manifest-path', manifest, '--', ...args], {
    cwd,
    env: { ...process.env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (c) => (out.stdout += c))
  child.stderr.on('data', (c) => (out.stderr += c))
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, out, exited }
}

test('cargo run -- check and cargo run -- serve start Relais with its embedded defaults', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relais-first-'))
  try {
    const check = cargoRun(dir, ['check'])
    const checkCode = await check.exited
    assert.equal(checkCode, 0, `relais check failed:\n${check.out.stdout}\n${check.out.stderr}`)
    assert.doesNotMatch(check.out.stderr, /unknown key/)

    // Only the port is added, so that this test never fights another server for 8080.
    const port = await freePort()
    const serve = cargoRun(dir, ['serve'], { RELAIS_LISTEN: `127.0.0.1:${port}` })
    let exitCode = null
    serve.exited.then((code) => (exitCode = code))
    let healthy = false
    // cargo may still have to build when this file runs alone: wait while it works.
    const until = Date.now() + 15 * 60 * 1000
    while (!healthy && exitCode === null && Date.now() < until) {
      try {
        healthy = (await fetch(`http://127.0.0.1:${port}/healthz`)).ok
      } catch {}
      if (!healthy) await new Promise((r) => setTimeout(r, 200))
    }
    assert.ok(healthy, `relais serve did not answer /healthz (exit ${exitCode}):\n${serve.out.stderr}`)
    assert.ok(fs.existsSync(path.join(dir, 'data', 'relais.db')), 'the database is under ./data')
    // The first start offers the studio's setup link on the console.
    await waitFor(() => /\/setup\/[A-Za-z0-9_-]+/.test(serve.out.stderr), 'the setup link on the console')
    serve.child.kill('SIGTERM')
    assert.equal(await serve.exited, 0, serve.out.stderr)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

async function waitFor(condition, what, timeoutMs = 10000) {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (condition()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}
