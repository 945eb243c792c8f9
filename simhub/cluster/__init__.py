"""Executors (``local`` process pool, ``ray``), the onnxruntime policy and the HTML report:
the only importers of ray, onnxruntime and matplotlib."""
