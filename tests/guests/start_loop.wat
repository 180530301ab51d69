;; A module whose start function never returns: only a limit that covers
;; instantiation (a timeout, an interrupt handle given before it) stops it.
(module
  (memory (export "memory") 1)
  (func $forever (loop $l (br $l)))
  (start $forever)
  (func (export "_start")))
