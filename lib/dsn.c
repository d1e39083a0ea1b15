/* STUB by the lead: replaced by its owner. */
#include "internal.h"

