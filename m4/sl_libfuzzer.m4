# SL_CHECK_LIBFUZZER: looks for a clang whose -fsanitize=fuzzer links (the
# libFuzzer runtime is installed), for `make fuzz` (tests/fuzz/include.am).
# Sets and substitutes FUZZ_CC (empty when none is found) and defines the
# automake conditional HAVE_LIBFUZZER.
AC_DEFUN([SL_CHECK_LIBFUZZER], [
  AC_ARG_VAR([FUZZ_CC], [clang used to build the libFuzzer target (make fuzz)])
  AS_IF([test -z "$FUZZ_CC"],
    [AC_CHECK_PROGS([FUZZ_CC], [clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14])])
  sl_have_libfuzzer=no
  AS_IF([test -n "$FUZZ_CC"], [
    AC_MSG_CHECKING([whether $FUZZ_CC links -fsanitize=fuzzer,address,undefined])
    cat >conftest_fuzz.c <<_SLEOF
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return n && d[[0]] == 1; }
_SLEOF
    AS_IF([$FUZZ_CC -fsanitize=fuzzer,address,undefined conftest_fuzz.c -o conftest_fuzz >&AS_MESSAGE_LOG_FD 2>&1],
      [sl_have_libfuzzer=yes])
    rm -f conftest_fuzz.c conftest_fuzz
    AC_MSG_RESULT([$sl_have_libfuzzer])
  ])
  AS_IF([test "x$sl_have_libfuzzer" = xno], [FUZZ_CC=])
  AC_SUBST([FUZZ_CC])
  AM_CONDITIONAL([HAVE_LIBFUZZER], [test "x$sl_have_libfuzzer" = xyes])
])
