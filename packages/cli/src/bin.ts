#!/usr/bin/env node
// The `jwtgate` command. Everything is in run(); this file only wires the process to it.
import { run } from './run.js'

process.exitCode = await run(process.argv.slice(2), process)
