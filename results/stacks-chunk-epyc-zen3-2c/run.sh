#!/bin/bash
cd "$(dirname "$0")"
P="--problem lstm:b16:i512:h512:e25:d25:teacher:t1:l4 --problem lstm:b16:i512:h512:e25:d25:teacher:t2:l4 --problem lstm:b4:i256:h256:e25:d25:teacher:t1:l4"
i=0
for b in before after after before before after after before; do
  i=$((i+1)); bin=${BEFORE:?binary before}; [ $b = after ] && bin=${AFTER:?binary after}
  rm -rf sh-$i-$b; $bin bench $P --variants avx2 --passes 1 --budget 0.3 --min-rounds 6 --out sh-$i-$b > sh-$i.log 2>&1
done
echo share done
