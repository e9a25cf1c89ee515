"""Reading a uv cache from disk: the concurrent scan into an `Inventory` (`cache`), the walks of
its bucket trees (`walk`) and archives (`archives`), the links between them (`links`), the
measurement of trees (`measure`) and the pacing of worker-thread hops (`pace`).
"""
