"""allauth's MFA adapter, wired to our keys: TOTP secrets and recovery-code seeds are stored
encrypted, so a database dump yields no second factor."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter

from portal.crypto.text import decrypt_text, encrypt_text

MFA_PURPOSE = "allauth.mfa.authenticator"
# The keys of allauth's Authenticator.data that hold secrets (TOTP secret, recovery seed).
MFA_SECRET_KEYS = ("secret", "seed")


class EncryptingMFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        """Seal an MFA secret under the practice data key."""
        return encrypt_text(text, MFA_PURPOSE)

    def decrypt(self, encrypted_text: str) -> str:
        """Open an MFA secret; plaintext or tampered values raise instead of being used."""
        return decrypt_text(encrypted_text, MFA_PURPOSE)
