/** Workflow files the handler tests use. */
export const RELEASE = `
name: release
on: { labels: [release], commands: [deploy] }
inputs:
  env: { type: choice, options: [staging, production], required: true }
  dry_run: { type: boolean, default: false }
stages:
  - id: build
    steps:
      - { id: compile, work: {} }
      - { id: test, work: {} }
  - id: ship
    steps:
      - { id: publish, work: {} }
`;

export const LABELLED = `
name: triage
on: { labels: [triage] }
stages:
  - id: look
    steps:
      - { id: read, work: {} }
      - { id: sort, work: {} }
`;

export const GATED = `
name: gated
on: { labels: [gated], commands: [ship] }
stages:
  - id: build
    steps:
      - { id: compile, work: {} }
  - id: gate
    steps:
      - { id: approve, approval: { permission: write } }
  - id: ship
    steps:
      - { id: publish, work: {} }
`;
