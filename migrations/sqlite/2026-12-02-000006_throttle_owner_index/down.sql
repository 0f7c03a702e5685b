DROP INDEX redeem_throttle_user;
