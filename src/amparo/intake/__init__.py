"""Bulk intake of regularization applications from CSV files collected at field intake sites.

`format` defines the CSV (one row per application; `amparo intake format` prints it), `parse` reads
a file one row at a time and validates each row against the API's own request models, `pipeline`
runs that validation, the filing checks and the pre-assessment in worker processes while one process
writes, `service` files valid rows in batches through `amparo.regularization.batch.file_applications`
(the API's checks, one statement per table, one transaction per batch, idempotent through each row's
intake key), `report` writes rejected rows with the row, column, value and what was expected, and
`synthetic` makes realistic multi-locale applicants for the demo, the tests and the benchmark.
"""
