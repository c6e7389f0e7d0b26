/*
 * crc32c.h
 *	  CRC-32C (Castagnoli), the checksum that closes every item blob.
 *
 * Pure C, no postgres.h: the same file links into the extension, the unit
 * tests and the fuzz harnesses.  The polynomial is the reflected 0x82F63B78
 * with initial value and final xor 0xFFFFFFFF, as in iSCSI, ext4 and
 * PostgreSQL's WAL, so any standard implementation can check our blobs.
 * The check value of "123456789" is 0xE3069283.
 */
#ifndef EWS_CRC32C_H
#define EWS_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of len bytes at buf. */
uint32_t	ews_crc32c(const void *buf, size_t len);

/*
 * Incremental form, with the pre- and post-inversion done inside (zlib's
 * convention): start with crc = 0 and feed the pieces in order, so
 * ews_crc32c_update(ews_crc32c_update(0, a, na), b, nb) equals the CRC of
 * the concatenation a || b.
 */
uint32_t	ews_crc32c_update(uint32_t crc, const void *buf, size_t len);

/*
 * The two implementations behind ews_crc32c_update, exported so tests can
 * check that they agree and benchmarks can compare them.  Same convention
 * as ews_crc32c_update.  ews_crc32c_hw may only be called when
 * ews_crc32c_hw_available() is true.
 */
uint32_t	ews_crc32c_sw(uint32_t crc, const void *buf, size_t len);
bool		ews_crc32c_hw_available(void);
uint32_t	ews_crc32c_hw(uint32_t crc, const void *buf, size_t len);

#endif							/* EWS_CRC32C_H */
