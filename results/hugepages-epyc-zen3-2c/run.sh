#!/bin/bash
# huge pages on/off, alternating processes (ABBA x2), avx2 at H >= 512
set -u
cd "$(dirname "$0")"
NEW=${TIEDSEQ:-build/tiedseq}
P="--problem lstm:b1:i512:h512:e25:d25:teacher:t1 --problem lstm:b1:i1024:h1024:e25:d25:teacher:t1 --problem lstm:b16:i1024:h1024:e25:d25:teacher:t2 --problem lstm:b1:i512:h512:e25:d25:teacher:t2"
i=0
for hp in 1 0 0 1 1 0 0 1; do
  i=$((i+1)); rm -rf hp-$i-$hp
  TS_HUGEPAGES=$hp $NEW bench $P --variants avx2 --passes 1 --budget 0.5 --min-rounds 10 --out hp-$i-$hp > hp-$i.log 2>&1
done
echo huge done
