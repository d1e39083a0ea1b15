# BOUNCE_CHECK_CFLAG(FLAG, [ACTION-IF-OK], [ACTION-IF-NOT])
# Checks that the C compiler accepts FLAG (with -Werror, so warnings count as "no").
AC_DEFUN([BOUNCE_CHECK_CFLAG], [
  AS_VAR_PUSHDEF([bounce_var], [bounce_cv_cflag_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [bounce_var], [
    bounce_save_CFLAGS="$CFLAGS"
    CFLAGS="$CFLAGS -Werror $1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])], [AS_VAR_SET([bounce_var], [yes])], [AS_VAR_SET([bounce_var], [no])])
    CFLAGS="$bounce_save_CFLAGS"])
  AS_VAR_IF([bounce_var], [yes], [$2], [$3])
  AS_VAR_POPDEF([bounce_var])
])
