#!/bin/bash
# A node whose disk is lost is rebuilt from the bucket alone: brokerd and
# uploaderd move data to objects, brokerd is killed with -9 and its data
# directory (catalog and WAL) deleted, and brokerd started with
# catalog.recover.from.bucket = true serves every committed record; new
# records produced afterwards are uploaded and read back too.
. "$(dirname "$0")/lib.sh"
sl_init bucket_rebuild
sl_require_python_module confluent_kafka

objects=$SL_TMP/objects
broker_start "wal.capacity.bytes = 16M" "cache.bytes = 4M" "region.bytes = 1M" \
	"region.ms = 200" "object.store = file://$objects" \
	"catalog.recover.from.bucket = true"
uploader_start
topic=$(sl_topic t)
PIPE="$SL_PYTHON $SL_LIBDIR/pipeline.py"

sl_check "20000 records produced and uploaded"
sl_run 300 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 20000 --size 1000
uploads_drain 60
[ -n "$(ls "$objects/catalog/journal" 2>/dev/null)$(ls "$objects/catalog/snapshot" 2>/dev/null)" ] ||
	sl_fail "no catalog copy in the bucket"

sl_check "brokerd killed, its data directory lost, rebuilt from the bucket"
uploader_stop
broker_kill
rm -rf "$SL_BROKER_DIR/data"
broker_restart
grep -q "rebuilt .* from the bucket" "$SL_BROKER_DIR/brokerd.log" ||
	{ broker_log_tail; sl_fail "brokerd did not say it rebuilt the catalog"; }
sl_run 300 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 20000 --size 1000

sl_check "the rebuilt node takes new records, uploads them, and serves all"
uploader_start
sl_run 300 $PIPE produce --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--first 20000 --count 10000 --size 1000
uploads_drain 60
broker_stop
broker_restart
sl_run 300 $PIPE verify --bootstrap "$SLUICE_BOOTSTRAP" --topic "$topic" \
	--count 30000 --size 1000
uploader_stop
sl_bootstrap_stop
echo "PASS: bucket_rebuild"
