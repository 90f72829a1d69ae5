;; SIMD kernels for the hot path of import: 16-bit grey samples → 16-bit modality values.
;; Built to voxel-kernels.wasm by scripts/build-wasm.mjs; used by ../simd-kernels.ts.
;;
;; Memory layout: [0, 4) min and [4, 8) max of the stored values (i32), written by the kernel;
;; sample words from DATA = 16 on, converted in place.
(module
  (memory (export "memory") 1)

  ;; For n16 words from DATA (a multiple of 8): v = ((w >>> shift) & mask ^ sign) - sign is the stored
  ;; value (sign 0 for unsigned data); the word becomes v * slope + intercept, wrapping at 16 bits.
  ;; The caller checks the range, so a wrapped lane is never used: min/max of v (signed when
  ;; $signed, else unsigned) map to the output range exactly.
  ;; The stored-value expression is written out in each loop: as a called helper it was not inlined,
  ;; and the call per 8 samples made the kernel three times slower.
  (func (export "convert16")
    (param $n16 i32) (param $shift i32) (param $mask i32) (param $sign i32)
    (param $slope i32) (param $intercept i32) (param $signed i32)
    (local $p i32) (local $end i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $vmask v128) (local $vsign v128) (local $vslope v128) (local $vicpt v128)
    (local.set $vmask (i16x8.splat (local.get $mask)))
    (local.set $vsign (i16x8.splat (local.get $sign)))
    (local.set $vslope (i16x8.splat (local.get $slope)))
    (local.set $vicpt (i16x8.splat (local.get $intercept)))
    (local.set $p (i32.const 16))
    (local.set $end (i32.add (i32.const 16) (i32.shl (local.get $n16) (i32.const 1))))
    ;; start the running min/max from the first lane block, so they hold real values
    (local.set $v (i16x8.sub (v128.xor (v128.and (i16x8.shr_u (v128.load (local.get $p)) (local.get $shift)) (local.get $vmask)) (local.get $vsign)) (local.get $vsign)))
    (local.set $lo (local.get $v))
    (local.set $hi (local.get $v))
    (if (local.get $signed)
      (then
        (loop $signed_blocks
          (local.set $v (i16x8.sub (v128.xor (v128.and (i16x8.shr_u (v128.load (local.get $p)) (local.get $shift)) (local.get $vmask)) (local.get $vsign)) (local.get $vsign)))
          (local.set $lo (i16x8.min_s (local.get $lo) (local.get $v)))
          (local.set $hi (i16x8.max_s (local.get $hi) (local.get $v)))
          (v128.store (local.get $p) (i16x8.add (i16x8.mul (local.get $v) (local.get $vslope)) (local.get $vicpt)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $signed_blocks (i32.lt_u (local.get $p) (local.get $end))))
        (i32.store (i32.const 0) (call $reduce_min_s (local.get $lo)))
        (i32.store (i32.const 4) (call $reduce_max_s (local.get $hi))))
      (else
        (loop $unsigned_blocks
          (local.set $v (i16x8.sub (v128.xor (v128.and (i16x8.shr_u (v128.load (local.get $p)) (local.get $shift)) (local.get $vmask)) (local.get $vsign)) (local.get $vsign)))
          (local.set $lo (i16x8.min_u (local.get $lo) (local.get $v)))
          (local.set $hi (i16x8.max_u (local.get $hi) (local.get $v)))
          (v128.store (local.get $p) (i16x8.add (i16x8.mul (local.get $v) (local.get $vslope)) (local.get $vicpt)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $unsigned_blocks (i32.lt_u (local.get $p) (local.get $end))))
        (i32.store (i32.const 0) (call $reduce_min_u (local.get $lo)))
        (i32.store (i32.const 4) (call $reduce_max_u (local.get $hi))))))

  ;; horizontal min/max: fold the halves together until lane 0 holds the answer
  (func $reduce_min_s (param $v v128) (result i32)
    (local.set $v (i16x8.min_s (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (local.set $v (i16x8.min_s (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v))))
    (local.set $v (i16x8.min_s (local.get $v) (i8x16.shuffle 2 3 0 1 2 3 0 1 2 3 0 1 2 3 0 1 (local.get $v) (local.get $v))))
    (i16x8.extract_lane_s 0 (local.get $v)))
  (func $reduce_max_s (param $v v128) (result i32)
    (local.set $v (i16x8.max_s (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (local.set $v (i16x8.max_s (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v))))
    (local.set $v (i16x8.max_s (local.get $v) (i8x16.shuffle 2 3 0 1 2 3 0 1 2 3 0 1 2 3 0 1 (local.get $v) (local.get $v))))
    (i16x8.extract_lane_s 0 (local.get $v)))
  (func $reduce_min_u (param $v v128) (result i32)
    (local.set $v (i16x8.min_u (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (local.set $v (i16x8.min_u (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v))))
    (local.set $v (i16x8.min_u (local.get $v) (i8x16.shuffle 2 3 0 1 2 3 0 1 2 3 0 1 2 3 0 1 (local.get $v) (local.get $v))))
    (i16x8.extract_lane_u 0 (local.get $v)))
  (func $reduce_max_u (param $v v128) (result i32)
    (local.set $v (i16x8.max_u (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (local.set $v (i16x8.max_u (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v))))
    (local.set $v (i16x8.max_u (local.get $v) (i8x16.shuffle 2 3 0 1 2 3 0 1 2 3 0 1 2 3 0 1 (local.get $v) (local.get $v))))
    (i16x8.extract_lane_u 0 (local.get $v))))
