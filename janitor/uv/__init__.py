"""uv's cache as a cache kind: its vocabulary (`names`, `layout`), the releases that write it
(`finduv`, `releases`, `follow`), where it lives (`locate`) and its lock (`lock`), its scan
(`scan` over `walk`, `links` and `archives`) into an inventory (`inventory`), its plans
(`plan`), its versions for the policies (`policy`), the kind itself (`kind`), `report` and
`doctor`. The shared graph, plan items, policies, measuring and engine are in `janitor`.
"""
