{
  "targets": [
    {
      "target_name": "podwall_nft",
      "sources": ["src/nft.c"],
      "libraries": ["-lnftables"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
