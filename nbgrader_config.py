# nbgrader configuration for the course, for instructors who already run nbgrader.
#
# The notebooks already carry nbgrader's schema-3 cell metadata (solution cells = exercises, graded test
# cells = the visible checks, everything else locked), written by `npm run notebooks`. nbgrader needs to
# know how to replace a solution region in TypeScript: it refuses kernels it has no code stub for. The
# course's own tools (`npm run release`, `npm run grade`) do not need this file.
#
# Note: the committed notebooks/ hold the stub between the markers; run `npm run solve -- source/<assignment>`
# to get nbgrader's "source" version with the reference solutions in place.
c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# The kernelspec language of the course's tslab kernel is "typescript".
c.ClearSolutions.code_stub = {
    "typescript": 'throw new Error("not implemented yet");',
    "javascript": 'throw new Error("not implemented yet");',
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# The markers in the course's cells are TypeScript comments: `// BEGIN SOLUTION` ... `// END SOLUTION`.
# nbgrader matches the delimiter anywhere in the line, so the comment prefix is fine.
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearSolutions.enforce_metadata = True

# Hidden tests inside visible check cells would use these markers; the course keeps its hidden tests
# out of the notebooks (test/grading/specs), so check cells contain none.
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Run notebooks with the project's TypeScript kernel (build/jupyter is on JUPYTER_PATH under `npm start`).
c.ExecutePreprocessor.kernel_name = "tslab"
c.ExecutePreprocessor.timeout = 300
