/** The workflow `stageflow init` writes: small, valid, and showing the main ideas. */
export const STARTER_WORKFLOW = `# A stageflow workflow: stages run in order; the steps of a stage run in sequence or in
# parallel. Every step's result is journaled, so an interrupted run resumes where it stopped.
# Reference: docs/workflow-file.md. Check it: stageflow validate <this file>
name: example
description: Build, test and report (a starter workflow)

inputs:
  version: { type: string, default: "0.1.0", description: Version to build }

defaults:
  timeout: 5m
  retry: { max_attempts: 2, base_delay: 1s }

stages:
  - id: prepare
    steps:
      - id: check
        run: |
          echo "building version $VERSION"
          echo "version=$VERSION" >> "$STAGEFLOW_OUTPUT"
        env: { VERSION: "\${{ inputs.version }}" }
        outputs: [version]

  - id: build
    mode: parallel
    concurrency: 2
    steps:
      - id: compile
        run: echo "compiling \${{ steps.check.outputs.version }}"
      - id: test
        run: echo "testing"

  - id: report
    steps:
      - id: summary
        run: echo "version \${{ steps.check.outputs.version }} built and tested"
`;
