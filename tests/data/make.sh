#!/bin/sh
# make.sh -- regenerates the cases of the bad-input matrix (tests/data/).
# Each case is NNNN-name.csv or NNNN-name.csv.gz (the data, copied as
# firms.csv[.gz] into a data folder by tests/e2e/matrix.sh) and
# NNNN-name.expect (what klaster must do with it):
#   ok ROWS                     the load succeeds with ROWS rows
#   has LINE                    (after ok) LINE is a line of the result CSV
#   error STATUS LOC SUBSTRING  exit STATUS; stderr names firms.csv:LOC:
#                               (LINE:COL; for a gzip fault, where the good
#                               bytes end) and SUBSTRING
#   args ARGS...                extra arguments for klaster compute
# The files are committed; rerun this (from anywhere) after changing a case.
# gzip -n keeps the output byte-identical from run to run.
set -eu
cd "$(dirname "$0")"
rm -f [0-9][0-9][0-9][0-9]-*
H='year,region,cluster,firm,employees,revenue'
good() { printf '%s\n2020,UZ-AN,,1,5,100\n2020,UZ-AN,,2,7,200.5\n2021,UZ-FA,,3,9,300\n' "$H"; }
gz() { gzip -n -9 -c; }
# case NAME EXPECT-LINES... : writes NAME.expect
expect() { _e=$1; shift; printf "%s\n" "$@" >"$_e.expect"; }
size() { wc -c <"$1" | tr -d ' '; }
# cut FILE KEEP : the first KEEP bytes of FILE
cut_to() { head -c "$2" "$1"; }
# patch FILE OFFSET BYTE-OCTAL : overwrites one byte
patch() { printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

good | gz >good.tmp
n=$(size good.tmp)

# --- gzip ---------------------------------------------------------------
cut_to good.tmp 6 >0001-gzip-truncated-header.csv.gz
expect 0001-gzip-truncated-header 'error 65 1:1 truncated'
cut_to good.tmp $((n / 2)) >0002-gzip-truncated-data.csv.gz
expect 0002-gzip-truncated-data 'error 65 1:14 truncated'
cut_to good.tmp $((n - 3)) >0003-gzip-truncated-trailer.csv.gz
expect 0003-gzip-truncated-trailer 'error 65 5:1 truncated'
cp good.tmp 0004-gzip-bad-crc.csv.gz
patch 0004-gzip-bad-crc.csv.gz $((n - 8)) 125
expect 0004-gzip-bad-crc 'error 65 5:1 incorrect data check'
cp good.tmp 0005-gzip-bad-length.csv.gz
patch 0005-gzip-bad-length.csv.gz $((n - 4)) 001
expect 0005-gzip-bad-length 'error 65 5:1 incorrect length check'
{ cat good.tmp; printf 'garbage after the member\n'; } >0006-gzip-trailing-garbage.csv.gz
expect 0006-gzip-trailing-garbage 'error 65 5:1 trailing garbage'
{ printf '' | gz; cat good.tmp; printf '' | gz; } >0007-gzip-empty-members.csv.gz
expect 0007-gzip-empty-members 'ok 3'
good >0008-gzip-plain-named-gz.csv.gz
expect 0008-gzip-plain-named-gz 'ok 3' 'has 2021,3,UZ-FA,9,300'
: >0009-empty-file.csv
expect 0009-empty-file 'error 65 - empty file'
: | gz >0010-gzip-only-empty-member.csv.gz
expect 0010-gzip-only-empty-member 'error 65 - empty file'
# A decompression bomb: 4 MiB of one repeated row in ~4 KiB, over a 1 MiB cap.
{ printf '%s\n' "$H"; yes '2020,UZ-AN,,1,5,100' | head -c 4194304; } | gz >0011-gzip-bomb.csv.gz
expect 0011-gzip-bomb 'error 65 52428:14 limit of 1048576 bytes' 'args --max-input-size 1M'
# The same cap over several members: each one small, their sum too big.
{ printf '%s\n' "$H" | gz; for i in 1 2 3 4 5 6; do yes '2020,UZ-AN,,1,5,100' | head -c 262144 | gz; done; } \
    >0012-gzip-bomb-members.csv.gz
expect 0012-gzip-bomb-members 'error 65 52428:2 limit of 1048576 bytes' 'args --max-input-size 1M'
# A quoted field with a delimiter and a line break, split across two members.
{ printf '%s\n2020,"UZ-A' "$H" | gz; printf 'N,\nX",,1,5,100\n' | gz; } >0013-gzip-quote-across-members.csv.gz
expect 0013-gzip-quote-across-members 'ok 1' 'has 2020,1,"UZ-AN,'
printf '\037\213' >0014-gzip-magic-only.csv.gz
expect 0014-gzip-magic-only 'error 65 1:1 truncated'

# --- CSV: BOM, line ends, quoting -------------------------------------
{ printf '\357\273\277'; good; } >0020-bom-at-start.csv
expect 0020-bom-at-start 'ok 3'
{ printf '%s\n\357\273\2772020,UZ-AN,,1,5,100\n' "$H"; } >0021-bom-not-at-start.csv
expect 0021-bom-not-at-start "error 65 2:1 column 'year'"
printf '\357\273\277' >0022-bom-only.csv
expect 0022-bom-only 'error 65 - empty file'
good | sed 's/$/\r/' >0023-crlf.csv
expect 0023-crlf 'ok 3' 'has 2020,2,UZ-AN,7,200.5'
good | tr '\n' '\r' >0024-bare-cr.csv
expect 0024-bare-cr 'ok 3' 'has 2021,3,UZ-FA,9,300'
printf '%s\n2020,"UZ-""AN""",,1,5,100\n' "$H" >0025-doubled-quote.csv
expect 0025-doubled-quote 'ok 1' 'has 2020,1,"UZ-""AN""",5,100'
printf '%s\n2020,"UZ,\nAN",,1,5,100\n2020,UZ-FA,,2,6,1\n' "$H" >0026-delimiter-newline-in-quotes.csv
expect 0026-delimiter-newline-in-quotes 'ok 2' 'has 2020,2,UZ-FA,6,1'
printf '%s\n2020,UZ-AN,,1,5,100\n2020,"UZ-FA\n,,2,6,1\n' "$H" >0027-unterminated-quote.csv
expect 0027-unterminated-quote 'error 65 3:6 quoted field is never closed'
printf '%s\n2020,"UZ-AN"x,,1,5,100\n' "$H" >0028-char-after-quote.csv
expect 0028-char-after-quote "error 65 2:13 unexpected 'x' after the closing quote"
printf '%s\n2020,UZ-AN,,1,5\n' "$H" >0029-ragged-short.csv
expect 0029-ragged-short 'error 65 2:15 expected 6 cells'
printf '%s\n2020,UZ-AN,,1,5,100,extra\n' "$H" >0030-ragged-long.csv
expect 0030-ragged-long 'error 65 2:21 expected 6 cells'
{ printf '%s\n2020,UZ-AN,,1,5,100\n2020,"' "$H"; head -c 3000 /dev/zero | tr '\0' 'x'; printf '",,2,5,100\n'; } >0031-field-over-cap.csv
expect 0031-field-over-cap 'error 65 3:6 limit of 2048 bytes' 'args --max-field-size 2K'
{ printf '%s\n2020,"' "$H"; head -c 1500 /dev/zero | tr '\0' 'x'; printf '",,2,5,100\n'; } >0032-field-under-cap.csv
expect 0032-field-under-cap 'ok 1' 'args --max-field-size 2K'
printf '%s\n' "$H" >0033-header-only.csv
expect 0033-header-only 'ok 0'
printf 'year,region,cluster,firm,employees,revenue,region\n2020,UZ-AN,,1,5,100,UZ-FA\n' >0034-duplicate-column.csv
expect 0034-duplicate-column "error 65 1:44 duplicate column name 'region'"
printf 'year,region,,firm,employees,revenue\n2020,UZ-AN,,1,5,100\n' >0035-empty-column-name.csv
expect 0035-empty-column-name 'error 65 1:13 empty name'
printf '%s\n2020,UZ-\000AN,,1,5,100\n' "$H" >0036-nul-byte.csv
expect 0036-nul-byte 'error 65 2:9 NUL byte'
printf '%s\n\n2020,UZ-AN,,1,5,100\n\n2020,UZ-AN,,2,5,100' "$H" >0037-blank-lines-no-final-newline.csv
expect 0037-blank-lines-no-final-newline 'ok 2'

# --- numbers -------------------------------------------------------------
printf '%s\n2020,UZ-AN,,1,5,1e309\n' "$H" >0040-number-1e309.csv
expect 0040-number-1e309 'error 65 2:17 got "1e309" (out of range)'
printf '%s\n2020,UZ-AN,,1,-0,-0\n' "$H" >0041-number-minus-zero.csv
expect 0041-number-minus-zero 'ok 1' 'has 2020,1,UZ-AN,0,0'
printf '%s\n2020,UZ-AN,,1,5,NaN\n' "$H" >0042-number-nan.csv
expect 0042-number-nan "error 65 2:17 column 'revenue'"
printf '%s\n2020,UZ-AN,,1,5,"100,5"\n' "$H" >0043-number-decimal-comma.csv
expect 0043-number-decimal-comma "error 65 2:17 decimal comma"
printf 'year;region;cluster;firm;employees;revenue\n2020;UZ-AN;;1;5;100,5\n' >0044-number-decimal-comma-semicolon.csv
expect 0044-number-decimal-comma-semicolon "error 65 2:17 decimal comma"
printf '%s\n2020,UZ-AN,,1,9007199254740993,1\n' "$H" >0045-int-past-2p53.csv
expect 0045-int-past-2p53 'ok 1' 'has 2020,1,UZ-AN,9007199254740993,1'
printf '%s\n2020,UZ-AN,,1,9223372036854775808,1\n' "$H" >0046-int-past-int64.csv
expect 0046-int-past-int64 'error 65 2:15 got "9223372036854775808" (out of range)'
printf '%s\n2020,UZ-AN,,1,5,Infinity\n' "$H" >0047-number-infinity.csv
expect 0047-number-infinity "error 65 2:17 column 'revenue'"

# --- encoding -------------------------------------------------------------
printf '%s\n2020,UZ-\377AN,,1,5,100\n' "$H" >0050-invalid-utf8.csv
expect 0050-invalid-utf8 'error 65 2:6 invalid UTF-8'
printf '%s\n2020,Toshkent \303\242\342\202\254,,1,5,100\n' "$H" >0051-valid-utf8.csv
expect 0051-valid-utf8 'ok 1'
rm -f good.tmp
