// The IAM evaluation driver of the integration test `iam_evaluation`
// (tests/tests/iam_evaluation/): reads a JSON array of requests on stdin,
// evaluates each with @cloud-copilot/iam-simulate (AWS's evaluation logic for
// identity, resource and trust policies with their conditions, in Strict
// mode: the context is exactly what the request says), and writes a JSON
// array of answers on stdout, in the same order.
//
// A request: { principal, action, resource, resourceAccount, context,
// identityPolicies: [{ name, policy }], resourcePolicy? }.
// An answer: { decision: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied",
// ignoredContextKeys: [...] } or { error: "..." } when the simulator refuses
// the input (an unknown action, a malformed policy, a resource of the wrong type).
//
// It must not decide what a case expects, build policies or resolve the
// template: the Rust test does. Test-only: the simulator is AGPL-3.0 and is
// never shipped or linked with the functions.

import { runSimulation } from '@cloud-copilot/iam-simulate'

const input = await new Promise((resolve, reject) => {
  let text = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => (text += chunk))
  process.stdin.on('end', () => resolve(text))
  process.stdin.on('error', reject)
})

const answers = []
for (const request of JSON.parse(input)) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: request.context ?? {}
    },
    identityPolicies: request.identityPolicies ?? [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy ?? undefined
  }
  const result = await runSimulation(simulation, { simulationMode: 'Strict' })
  if (result.resultType === 'error') {
    answers.push({ error: JSON.stringify(result.errors) })
  } else if (result.resultType === 'single') {
    answers.push({
      decision: result.overallResult,
      ignoredContextKeys: result.result.ignoredContextKeys ?? []
    })
  } else {
    answers.push({
      error: `the resource ${request.resource} is a pattern, not one resource (${result.results.length} simulations)`
    })
  }
}
process.stdout.write(JSON.stringify(answers) + '\n')
